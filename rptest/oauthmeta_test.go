package rptest

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestOAuthMetadataOnly: under Config.OAuthMetadataOnly OpenID discovery
// answers 404 and the RFC 8414 path serves the metadata; without it, the
// RFC 8414 path answers 404.
func TestOAuthMetadataOnly(t *testing.T) {
	get := func(s *Server, path string) (int, map[string]any) {
		t.Helper()
		resp, err := s.Client().Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&doc)
		return resp.StatusCode, doc
	}
	only := NewServer(Config{OAuthMetadataOnly: true})
	defer only.Close()
	if status, _ := get(only, PathDiscovery); status != http.StatusNotFound {
		t.Errorf("OpenID discovery: %d, want 404", status)
	}
	if status, doc := get(only, PathOAuthMetadata); status != http.StatusOK || doc["issuer"] != only.Issuer() || doc["jwks_uri"] != only.URL+PathJWKS {
		t.Errorf("RFC 8414 metadata: %d %v", status, doc)
	}
	if only.Requests(EndpointOAuthMetadata) != 1 || only.Requests(EndpointDiscovery) != 1 {
		t.Errorf("requests: %d RFC 8414, %d discovery", only.Requests(EndpointOAuthMetadata), only.Requests(EndpointDiscovery))
	}
	only.SetFaults(Faults{DiscoveryIssuer: "https://other.example"})
	if _, doc := get(only, PathOAuthMetadata); doc["issuer"] != "https://other.example" {
		t.Errorf("faulted issuer %v", doc["issuer"])
	}

	plain := NewServer(Config{})
	defer plain.Close()
	if status, _ := get(plain, PathOAuthMetadata); status != http.StatusNotFound {
		t.Errorf("RFC 8414 path without the option: %d, want 404", status)
	}
	if status, _ := get(plain, PathDiscovery); status != http.StatusOK {
		t.Errorf("OpenID discovery without the option: %d", status)
	}
}
