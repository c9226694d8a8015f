package main

import (
	"log/slog"
	"net/http"

	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
	"github.com/oidcrp/rp/web"
)

// newAdmin returns the settings pages of the connections, for the
// administrators signed in to site.
func newAdmin(_ connection.Store, _ *web.Site, _ *sqlstore.UserStore, _ *slog.Logger) (http.Handler, error) {
	return http.NotFoundHandler(), nil
}
