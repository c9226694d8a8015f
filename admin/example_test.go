package admin_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/admin"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/web"
)

// ExampleNew mounts the settings page at /admin/ of an application's
// ServeMux, next to the Site that serves the connections it edits.
func ExampleNew() {
	store := connection.NewMemoryStore(connection.MemoryConfig{})
	users := rp.NewMemoryUserStore()
	site, err := web.New(web.Config{
		SessionSecrets: []rp.Secret{"an example secret of at least 32 bytes"},
		Connections:    &web.Connections{Store: store, ExternalURL: "https://app.example.com", Users: users},
	})
	if err != nil {
		log.Fatal(err)
	}
	settings, err := admin.New(admin.Config{
		Store: store, Site: site, Users: users, Path: "/admin/",
		Authorize: func(r *http.Request) (string, bool) {
			if u := web.UserFrom(r.Context()); u != nil && u.Admin {
				return u.Username, true
			}
			return "", false
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", site.Require(settings))
	mux.Handle("/", site.Handler())

	// An administrator saves a connection as the form does; the list shows it.
	_, err = store.Put(context.Background(), connection.Settings{Name: "okta-acme", Title: "Acme staff",
		Authority: "https://acme.okta.com", ClientID: "0oa1example", Enabled: true}, "root")
	if err != nil {
		log.Fatal(err)
	}
	list := httptest.NewRecorder()
	settings.ServeHTTP(list, httptest.NewRequest("GET", "https://app.example.com/admin/", nil)) // nobody signed in
	fmt.Println(list.Code)

	links, _ := site.ConnectionURLs("okta-acme")
	fmt.Println("register at Okta:", links.RedirectURL)
	fmt.Println(strings.HasPrefix(list.Header().Get("Content-Security-Policy"), "default-src 'none'"))
	// Output:
	// 403
	// register at Okta: https://app.example.com/sso/okta-acme/callback
	// true
}
