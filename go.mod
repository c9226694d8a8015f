module github.com/oidcrp/rp

go 1.26.0

require (
	github.com/coreos/go-oidc/v3 v3.21.0
	github.com/go-chi/chi/v5 v5.5.0
	github.com/go-jose/go-jose/v4 v4.1.9
	github.com/gorilla/mux v1.8.1
	golang.org/x/oauth2 v0.38.0
	golang.org/x/text v0.44.0
)
