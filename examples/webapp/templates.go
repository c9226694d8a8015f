package main

import (
	"embed"
	"fmt"
	"html/template"
	"io"
)

// templateFS holds the pages: layout.html is the frame every page shares,
// each other file defines one page's "title" and "content".
//
//go:embed templates/*.html
var templateFS embed.FS

// pageTemplate is one page, rendered inside the layout.
type pageTemplate struct{ t *template.Template }

// Execute writes the page for data to w. html/template escapes every value
// for its context.
func (p pageTemplate) Execute(w io.Writer, data any) error {
	return p.t.ExecuteTemplate(w, "layout", data)
}

// pages are the app's pages.
type pages struct {
	home, login, me, error pageTemplate
}

// parsePages parses the embedded templates.
func parsePages() (*pages, error) {
	layout, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the layout: %w", err)
	}
	var p pages
	for name, dst := range map[string]*pageTemplate{"home": &p.home, "login": &p.login, "me": &p.me, "error": &p.error} {
		t, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("parsing page %s: %w", name, err)
		}
		*dst = pageTemplate{t}
	}
	return &p, nil
}
