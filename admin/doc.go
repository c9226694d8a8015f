// Package admin is the "Authentication → OpenID Connect" settings page of
// an application, as an http.Handler to mount at a path of its choosing:
// the administrator lists the connections of a connection.Store, adds one
// from a preset (Microsoft Entra ID single and multi-tenant, Okta, Google,
// Keycloak, Auth0, generic), edits every field of connection.Settings,
// copies the redirect URIs to register at the provider, runs Test
// settings (rp.Check on the unsaved form) and Test sign-in (a real
// sign-in at the provider with the unsaved form, showing the verified
// claims and what the account matcher would do, without changing any
// account or starting a session), saves and deletes.
//
// The pages are server-rendered and work without JavaScript; a small
// script served by the Handler adds copy buttons. They are accessible:
// every field has a label and one line of help, a refused save starts with
// an error summary (role=alert) linking to the fields, each of which says
// what to change.
//
// # Security
//
// Config.Authorize is called first on every request, and anything but an
// administrator gets a 403 page. POSTs must be same-origin
// (http.CrossOriginProtection) and carry the token of a SameSite=Strict
// cookie (double submit, compared in constant time). Bodies are bounded
// (64 KiB), every field too, and settings are validated by
// connection.Settings.Validate. The client secret is write-only: the form
// never shows it, and the choices are keep, replace or remove. Pages are
// never cached or framed and load nothing from elsewhere
// (Content-Security-Policy: default-src 'none'). The URLs to register at
// the provider come from web.Connections.ExternalURL, never from the
// request's Host header. Each save, test, test sign-in and delete is an
// audit line of Config.Logger naming the administrator, never a secret.
//
// A test sign-in is bound to the administrator who started it and to
// their browser (a cookie), and its result is shown only to them. It
// comes back to the connection's own redirect URL, which the Site hands
// to the Handler (web.Site.HandleTrials); the RP is kept in memory for
// rp.Config.LoginTimeout, at most 32 at once.
//
// # Pages
//
// Under Config.Path:
//
//	GET  Path                      the list of connections
//	GET  Path + "new?preset=ID"    the form of a new connection (ID: entra, entra-multi, okta, google, keycloak, auth0, generic)
//	POST Path + "new"              its actions (action=save, test or trial)
//	GET  Path + "connections/NAME" the form of a saved connection
//	POST Path + "connections/NAME" its actions (action=save, test, trial, delete; confirm=yes to delete)
//	GET  Path + "trials/ID"        the result of a test sign-in
//	GET  Path + "admin.css", Path + "admin.js"
//
// # Templates
//
// Config.Templates may replace any of these html/template files, by name;
// each gets the data named, whose fields are documented on the types in
// the source (every one embeds Title, Path, CSRF and Admin):
//
//	layout.html     defines "head" and "foot", used by every page
//	list.html       listView: Notice, Rows, Presets
//	edit.html       editView: the form, Summary, Alert, Check, URLs, Preset
//	delete.html     deleteView: Name, Version, Action, Back
//	trialstart.html trialStartView: Name, URL (the provider's sign-in page)
//	trial.html      trialView: Claims, Mapped, Outcome, Verdict, Details, Error
//	message.html    messageView: Message (403, 404, conflicts, failures)
//
// A form must post csrf (the token) and version back as the built-in
// edit.html does.
package admin
