package admin

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed templates/*.html
var builtinTemplates embed.FS

//go:embed static/admin.css
var builtinCSS string

//go:embed static/admin.js
var builtinJS string

// templateNames are the templates a Config.Templates may replace.
var templateNames = []string{"layout.html", "list.html", "edit.html", "delete.html", "trialstart.html", "trial.html", "message.html"}

// loadTemplates parses the built-in templates, each replaced by the file
// of the same name in override when it has one.
func loadTemplates(override fs.FS) (*template.Template, error) {
	t := template.New("admin")
	for _, name := range templateNames {
		src, err := builtinTemplates.ReadFile("templates/" + name)
		if err != nil {
			return nil, err
		}
		if override != nil {
			b, err := fs.ReadFile(override, name)
			switch {
			case err == nil:
				src = b
			case !errors.Is(err, fs.ErrNotExist):
				return nil, fmt.Errorf("%s cannot be read: %v", name, err)
			}
		}
		if _, err := t.New(name).Parse(string(src)); err != nil {
			return nil, fmt.Errorf("%s does not parse: %v", name, err)
		}
	}
	return t, nil
}

// page is what every template gets: the page's title, the admin path (for
// links, the stylesheet and the script), the form token and the
// administrator.
type page struct {
	Title string
	Path  string
	CSRF  string
	Admin string
}

// page returns the common data of a page for q.
func (h *Handler) page(q *request, title string) page {
	return page{Title: title, Path: h.cfg.Path, CSRF: h.csrfToken(q), Admin: q.admin}
}

// render executes the template name with data and writes it with status.
// A template that fails (one of Config.Templates, say) is a 500 page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		h.log.Error("admin: template failed", "template", name, "error", err.Error())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("The page could not be shown: its template failed. The log says why.\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// messageView is the data of message.html.
type messageView struct {
	page
	Message string
}

// message writes a page with a title and a sentence saying what
// happened and what to do, without a form.
func (h *Handler) message(w http.ResponseWriter, status int, title, msg string) {
	h.render(w, status, "message.html", messageView{page: page{Title: title, Path: h.cfg.Path}, Message: msg})
}
