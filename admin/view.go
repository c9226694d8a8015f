package admin

import (
	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/web"
)

// editView is the data of edit.html.
type editView struct {
	page
	New     bool
	Action  string // where the form posts
	Name    string // the connection's name, "" for a new one not yet named
	Version int64
	Preset  *preset
	// Sections are the fields, grouped, with their values and messages.
	Sections []sectionView
	// SecretSet: the version edited has a secret. SecretAction is the
	// choice ticked; SecretTyped: a secret was typed and is not shown
	// again. SecretErrors are the client secret's messages.
	SecretSet    bool
	SecretAction string
	SecretTyped  bool
	SecretErrors []string
	SecretHelp   string
	// URLs are what to register at the provider, when the name is valid.
	URLs *web.LoginLink
	// Summary lists every problem, linking to its field.
	Summary []summaryItem
	// Alert is a message above the form, such as a conflict.
	Alert string
	// Check is the result of Test settings, if run.
	Check *checkView
}

// sectionView is a fieldset.
type sectionView struct {
	Legend, Intro string
	Fields        []fieldView
}

// fieldView is one field, ready to render.
type fieldView struct {
	Name, ID, Label, Help string
	Kind                  fieldKind
	Value                 string
	Checked               bool
	ReadOnly              bool
	Options               []optionView
	Errors                []string
}

// optionView is one choice of a select.
type optionView struct {
	Value, Label string
	Selected     bool
}

// summaryItem is one problem in the error summary. Href is "" for a
// problem no field stands for.
type summaryItem struct{ Href, Label, Message string }

// editView builds the form for s with the problems found.
func (h *Handler) editView(q *request, s *connection.Settings, isNew bool, problems []rp.ConfigProblem) *editView {
	v := &editView{page: h.page(q, "Edit connection"), New: isNew, Version: s.Version,
		SecretSet: s.ClientSecret.IsSet, SecretAction: string(connection.SecretKeep), SecretHelp: secretHelp}
	if isNew {
		v.Title = "Add a connection"
		v.Action = h.cfg.Path + "new"
	} else {
		v.Name = s.Name
		v.Title = "Connection " + s.Name
		v.Action = h.cfg.Path + "connections/" + s.Name
	}
	if a := s.ClientSecret.Action; a == connection.SecretSet || a == connection.SecretRemove {
		v.SecretAction = string(a)
	}
	if validName(s.Name) {
		if links, ok := h.cfg.Site.ConnectionURLs(s.Name); ok {
			v.URLs = &links
		}
	}
	byField := map[string][]string{}
	for _, p := range problems {
		p.Message = fieldWords.Replace(p.Message)
		f := formField(p.Field)
		item := summaryItem{Label: p.Field, Message: p.Message}
		if f != "" {
			byField[f] = append(byField[f], p.Message)
			item.Href, item.Label = "#"+fieldID(f), labels[f]
		} else if l, ok := labels[p.Field]; ok {
			item.Label = l
		}
		v.Summary = append(v.Summary, item)
	}
	v.SecretErrors = byField["client_secret"]
	for _, sec := range sections {
		sv := sectionView{Legend: sec.Legend, Intro: sec.Intro}
		for _, f := range sec.Fields {
			fv := fieldView{Name: f.Name, ID: fieldID(f.Name), Label: f.Label, Help: f.Help, Kind: f.Kind,
				Value: formValue(s, f.Name), Checked: formChecked(s, f.Name), Errors: byField[f.Name],
				ReadOnly: f.Name == "name" && !isNew}
			for _, o := range f.Options {
				fv.Options = append(fv.Options, optionView{Value: o.Value, Label: o.Label, Selected: o.Value == fv.Value})
			}
			sv.Fields = append(sv.Fields, fv)
		}
		v.Sections = append(v.Sections, sv)
	}
	return v
}
