package rp

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
)

// UserInfoMode says when a login calls the provider's userinfo endpoint
// (Config.UserInfo). Userinfo is only ever called with an access token, so
// never in the "id_token" response type, and never when the provider has no
// userinfo endpoint.
type UserInfoMode int

const (
	// UserInfoAuto, the zero value, calls userinfo when the scopes ask for
	// profile, email, address or phone (whose claims a conformant provider
	// may serve only there), or when a claim the login needs is missing
	// from the ID token: Config.UsernameClaim, Config.EmailClaim, or one
	// that Config.Matcher reads (see ClaimReader).
	UserInfoAuto UserInfoMode = iota
	// UserInfoAlways calls userinfo on every login. New refuses it when
	// the provider has no userinfo endpoint.
	UserInfoAlways
	// UserInfoNever never calls userinfo: the claims are the ID token's
	// only, even when a mapped claim is missing from it.
	UserInfoNever
)

var userInfoModeNames = []string{"auto", "always", "never"}

// String returns "auto", "always" or "never", or a number for an unknown
// mode.
func (m UserInfoMode) String() string {
	if m >= 0 && int(m) < len(userInfoModeNames) {
		return userInfoModeNames[m]
	}
	return fmt.Sprintf("UserInfoMode(%d)", int(m))
}

// MarshalText encodes the mode as "auto", "always" or "never"; an unknown
// mode is an error.
func (m UserInfoMode) MarshalText() ([]byte, error) {
	if m < 0 || int(m) >= len(userInfoModeNames) {
		return nil, userInfoModeError(m.String())
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads "auto", "always" or "never" (or "" for auto); any
// other text is a *ConfigError.
func (m *UserInfoMode) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*m = UserInfoAuto
		return nil
	}
	i := slices.Index(userInfoModeNames, string(text))
	if i < 0 {
		return userInfoModeError(string(text))
	}
	*m = UserInfoMode(i)
	return nil
}

func userInfoModeError(got string) error {
	return &ConfigError{Problems: []ConfigProblem{{Field: "UserInfo",
		Message: fmt.Sprintf("%q is not a mode; use auto (UserInfoAuto, the default), always or never", sanitize(got))}}}
}

// ClaimReader is an optional interface of a UserMatcher: ClaimNames lists
// the claims Match reads from an Identity with the mapping of id (its
// UsernameClaim, EmailClaim and MicrosoftNameClaims; id.Claims is nil),
// besides UsernameClaim and EmailClaim themselves. Under UserInfoAuto a
// login calls userinfo when one of them is missing from the ID token. New
// asks once, so the list must not change afterwards. *Matcher implements
// it.
type ClaimReader interface {
	ClaimNames(id *Identity) []string
}

// identityMapping is the Identity of this RP's logins without the claims:
// how the configuration maps them.
func (r *RP) identityMapping() *Identity {
	return &Identity{
		UsernameClaim:       r.cfg.UsernameClaim,
		EmailClaim:          r.cfg.EmailClaim,
		MicrosoftNameClaims: r.msNameClaims,
	}
}

// userInfoScopes are the scopes whose claims a provider may serve from
// userinfo only (OpenID Connect Core section 5.4).
var userInfoScopes = []string{"profile", "email", "address", "phone"}

// needUserInfo reports whether a login whose ID token has idClaims must
// call userinfo, as Config.UserInfo says.
func (r *RP) needUserInfo(idClaims map[string]any) bool {
	if r.userInfoEndpoint() == "" {
		return false
	}
	switch r.cfg.UserInfo {
	case UserInfoAlways:
		return true
	case UserInfoNever:
		return false
	}
	for _, s := range r.cfg.Scopes {
		if slices.Contains(userInfoScopes, s) {
			return true
		}
	}
	for _, name := range r.readClaims {
		if _, ok := idClaims[name]; !ok {
			return true
		}
	}
	return false
}

// readClaimNames lists the claims a login of r reads, for needUserInfo:
// UsernameClaim, EmailClaim and what the Matcher reports (ClaimReader).
func (r *RP) readClaimNames() []string {
	names := []string{r.cfg.UsernameClaim, r.cfg.EmailClaim}
	if cr, ok := r.cfg.Matcher.(ClaimReader); ok {
		names = append(names, cr.ClaimNames(r.identityMapping())...)
	}
	return slices.DeleteFunc(names, func(n string) bool { return n == "" })
}

// userInfo fetches the userinfo claims with the access token and checks
// that they describe sub.
func (r *RP) userInfo(ctx context.Context, accessToken, sub string) (map[string]any, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrUserInfo, r.userInfoEndpoint(), fmt.Sprintf(format, args...))
	}
	req, err := http.NewRequestWithContext(observed(ctx, r.obs, EndpointUserInfo, r.md.Issuer), http.MethodGet, r.userInfoEndpoint(), nil)
	if err != nil {
		return nil, fail("%v", err)
	}
	req.Header.Set("Authorization", authScheme(ctx)+" "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := r.apiClient().Do(req)
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
		return r.userInfoJWT(ctx, body, sub) // signed or encrypted (userinfojwt.go)
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
