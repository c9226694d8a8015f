package rp

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// needUserInfo reports whether userinfo must be fetched: always when
// configured, and when a mapped claim is missing from the ID token.
func (r *RP) needUserInfo(idClaims map[string]any) bool {
	if r.md.UserInfoEndpoint == "" {
		return false
	}
	if r.cfg.FetchUserInfo {
		return true
	}
	for _, name := range []string{r.cfg.UsernameClaim, r.cfg.EmailClaim} {
		if name == "" {
			continue
		}
		if _, ok := idClaims[name]; !ok {
			return true
		}
	}
	return false
}

// userInfo fetches the userinfo claims with the access token and checks
// that they describe sub.
func (r *RP) userInfo(ctx context.Context, accessToken, sub string) (map[string]any, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrUserInfo, r.md.UserInfoEndpoint, fmt.Sprintf(format, args...))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.md.UserInfoEndpoint, nil)
	if err != nil {
		return nil, fail("%v", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fail("%v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fail("reading the response: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fail("the server answered %s", resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/jwt" {
		return nil, fail("signed userinfo responses (application/jwt) are not supported")
	}
	claims, err := decodeClaims(body)
	if err != nil {
		return nil, fail("the response is not a JSON object: %v", err)
	}
	if got, _ := claims["sub"].(string); got != sub {
		return nil, ErrUserInfoSubjectMismatch
	}
	return claims, nil
}
