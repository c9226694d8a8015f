package main

import (
	"log/slog"
	"net/http"

	"github.com/oidcrp/rp/admin"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
	"github.com/oidcrp/rp/web"
)

// newAdmin returns the settings pages of the connections in store
// (package admin), served under adminPath behind site.Require: only a
// signed-in administrator gets them, everyone else a 403 page. The
// administrator flag is read from the account in users at every request,
// not from the session, so that an account that is no longer an
// administrator loses the pages at once. Every save, test and delete is
// logged to log with the administrator's username.
func newAdmin(store connection.Store, site *web.Site, users *sqlstore.UserStore, log *slog.Logger) (http.Handler, error) {
	return admin.New(admin.Config{
		Store: store,
		Site:  site,
		Path:  adminPath,
		Users: users,
		Authorize: func(r *http.Request) (string, bool) {
			s := web.UserFrom(r.Context())
			if s == nil {
				return "", false
			}
			u, err := users.UserByID(r.Context(), s.ID)
			if err != nil || !u.Admin || u.Username == "" {
				return "", false // fail closed, also when the store fails
			}
			return u.Username, true
		},
		Logger: log,
	})
}
