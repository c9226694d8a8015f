package rptest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// PathWebFinger is where WebFingerHandler answers.
const PathWebFinger = "/.well-known/webfinger"

// issuerRel is the WebFinger link relation of an OpenID Connect issuer.
const issuerRel = "http://openid.net/specs/connect/1.0/issuer"

// WebFingerHandler plays a domain's WebFinger service for issuer
// discovery (OpenID Connect Discovery 1.0 section 2): a GET of
// PathWebFinger with resource=acct:<address> and
// rel=http://openid.net/specs/connect/1.0/issuer answers a JRD whose
// issuer link is issuer (Server.Issuer, or any other URL for a negative
// test). Another path is 404; another method 405; a resource that is not
// an acct: URI, or another rel, is 400. Relying parties ask WebFinger
// over https only: serve it with httptest.NewTLSServer and give the
// relying party that server's client, with an address at its host:port.
func WebFingerHandler(issuer string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != PathWebFinger {
			http.NotFound(w, r)
			return
		}
		if !allowMethods(w, r, http.MethodGet) {
			return
		}
		q := r.URL.Query()
		resource := q.Get("resource")
		if !strings.HasPrefix(resource, "acct:") || !strings.Contains(resource, "@") || q.Get("rel") != issuerRel {
			http.Error(w, "resource must be an acct: URI and rel the OpenID issuer", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"subject": resource,
			"links":   []map[string]string{{"rel": issuerRel, "href": issuer}},
		})
	})
}
