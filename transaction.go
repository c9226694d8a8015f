package rp

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
)

// transaction is what a started login keeps in the browser, sealed, until
// the provider sends the user back.
type transaction struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v,omitempty"`
	ReturnTo string `json:"r,omitempty"`
	Created  int64  `json:"c"` // Unix seconds: no ID token issued before may answer it
	Expiry   int64  `json:"e"`
	// DPoPKey is the login's DPoP key (DPoPKey.MarshalBinary,
	// base64url) when it was drawn at the start, for dpop_jkt; absent in
	// other logins, and in those started before DPoP existed.
	DPoPKey string `json:"k,omitempty"`
}

// began is when the login started.
func (tx *transaction) began() time.Time { return time.Unix(tx.Created, 0) }

// maxStateLen bounds the state parameter accepted from the browser.
const maxStateLen = 512

// txBinding names this RP in its login transactions: the provider's
// issuer, the client ID and the redirect URL. Two RPs differing in any of
// them never read each other's transactions, even when they share
// CookieSecrets, as the instances of one deployment must.
func txBinding(issuer, clientID, redirectURL, tag string) []byte {
	parts := []string{issuer, clientID, redirectURL}
	if tag != "" {
		parts = append(parts, tag) // untagged RPs keep the binding they always had
	}
	b, _ := json.Marshal(parts) // strings cannot fail
	return b
}

// maxTagLen bounds Config.TransactionTag.
const maxTagLen = 80

// validTag reports whether tag can be a Config.TransactionTag.
func validTag(tag string) bool {
	if len(tag) == 0 || len(tag) > maxTagLen {
		return false
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ResponseStateTag returns the StateTag of the state parameter of the
// authorization response req, read as Callback reads it (the query, or
// the bounded form of a POST, parsed once, so that Callback can still
// read it), or "" when req holds no such response. For a JARM response
// (a single "response" parameter) it is the tag of the response JWT's
// state claim, read without verifying the JWT, which Callback does. It
// lets the caller pick, among RPs that share a redirect URL, the one whose
// Callback gets req.
func ResponseStateTag(w http.ResponseWriter, req *http.Request) string {
	params, err := responseParams(w, req)
	if err != nil {
		return ""
	}
	state := params.Get("state")
	if state == "" {
		state = responseJWTState(params)
	}
	return StateTag(state)
}

// StateTag returns the Config.TransactionTag at the start of a state
// parameter an RP sent (everything before its last '.'), or "" when the
// state carries no valid tag. The state comes from the browser: the tag
// only says which RP to hand the response to, and that RP's Callback
// refuses a state it did not send, so a forged tag gains nothing.
func StateTag(state string) string {
	i := strings.LastIndexByte(state, '.')
	if i <= 0 || len(state) > maxStateLen || !validTag(state[:i]) {
		return ""
	}
	return state[:i]
}

// txPrefixFor starts the name of every login transaction cookie of an RP
// with binding: "rp_tx_", 8 characters of a hash of the binding, and "_".
// Eviction and MaxLoginsInProgress look only at cookies with this prefix,
// so the logins of other RPs of the same site (other providers, or other
// redirect URLs) are left alone.
func txPrefixFor(cookiePrefix string, binding []byte) string {
	sum := sha256.Sum256(binding)
	return cookiePrefix + "rp_tx_" + base64.RawURLEncoding.EncodeToString(sum[:6]) + "_"
}

// txCookieName names the cookie of the login whose state is state. Each
// login has its own cookie, so logins in several tabs do not disturb each
// other. The name is derived from hashes so it is short and cookie-safe.
func (r *RP) txCookieName(state string) string {
	sum := sha256.Sum256([]byte(state))
	return r.txPfx + base64.RawURLEncoding.EncodeToString(sum[:12])
}

// txAAD is the associated data a transaction cookie is sealed with: its
// name and, in full, the RP that made it. The name's short hash only keeps
// RPs from seeing each other's cookies; the binding itself rests on this,
// so a transaction of another RP does not open here, whatever its name.
func (r *RP) txAAD(name string) []byte {
	aad := make([]byte, 0, len(name)+1+len(r.txBind))
	return append(append(append(aad, name...), 0), r.txBind...)
}

// sealTx and openTx seal and open the value of the transaction cookie name.
func (r *RP) sealTx(name string, plain []byte) string { return r.txSealer().Seal(plain, r.txAAD(name)) }

func (r *RP) openTx(name, value string) ([]byte, error) {
	return r.txSealer().Open(value, r.txAAD(name))
}

// txCookie returns the cookie holding tx, or deleting it when tx is nil.
func (r *RP) txCookie(name string, tx *transaction) *http.Cookie {
	c := &http.Cookie{
		Name:     name,
		Path:     "/",
		Secure:   r.secureCookies,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	if r.cfg.responseDelivery() == "form_post" {
		// The provider's form POST is a cross-site request, on which
		// browsers send only SameSite=None cookies, and those only with
		// Secure. On plain-http loopback the attribute is left out, which
		// browsers treat as Lax but still send on a top-level POST made
		// soon after the cookie was set.
		c.SameSite = http.SameSiteNoneMode
		if !r.secureCookies {
			c.SameSite = http.SameSiteDefaultMode
		}
	}
	if tx == nil {
		c.MaxAge = -1
		return c
	}
	plain, _ := json.Marshal(tx) // a struct of strings and an int cannot fail
	c.Value = r.sealTx(name, plain)
	c.MaxAge = int(r.cfg.LoginTimeout / time.Second)
	return c
}

// evictTransactions deletes the oldest of this RP's login transaction
// cookies req carries so that, with the one about to be set, at most
// MaxLoginsInProgress remain. This RP's cookies that do not open are
// deleted too. Cookies of other RPs (see txPrefixFor) are never touched.
func (r *RP) evictTransactions(w http.ResponseWriter, req *http.Request) {
	if req == nil {
		return
	}
	type entry struct {
		name   string
		expiry int64
	}
	var live []entry
	prefix := r.txPfx
	for _, c := range req.Cookies() {
		if !strings.HasPrefix(c.Name, prefix) {
			continue
		}
		var tx transaction
		plain, err := r.openTx(c.Name, c.Value)
		if err != nil || json.Unmarshal(plain, &tx) != nil {
			http.SetCookie(w, r.txCookie(c.Name, nil))
			continue
		}
		live = append(live, entry{c.Name, tx.Expiry})
	}
	if excess := len(live) - (r.cfg.MaxLoginsInProgress - 1); excess > 0 {
		slices.SortFunc(live, func(a, b entry) int { return cmp.Compare(a.expiry, b.expiry) })
		for _, e := range live[:excess] {
			http.SetCookie(w, r.txCookie(e.name, nil))
		}
	}
}

// consumeTransaction finds, checks and deletes the login transaction for
// state, and records its single use. It is the first thing the callback
// does with a response; a failing replay store fails it with
// ErrReplayStore, before anything is sent to the provider.
func (r *RP) consumeTransaction(w http.ResponseWriter, req *http.Request, state string) (*transaction, error) {
	if state == "" {
		return nil, ErrStateMissing
	}
	if len(state) > maxStateLen {
		return nil, ErrStateUnknown
	}
	name := r.txCookieName(state)
	cookie, err := req.Cookie(name)
	if err != nil {
		return nil, ErrStateUnknown
	}
	// Single use: whatever happens next, this browser's copy is gone.
	http.SetCookie(w, r.txCookie(name, nil))
	plain, err := r.openTx(name, cookie.Value)
	if err != nil {
		return nil, ErrStateInvalid
	}
	var tx transaction
	if err := json.Unmarshal(plain, &tx); err != nil {
		return nil, ErrStateInvalid
	}
	if subtle.ConstantTimeCompare([]byte(tx.State), []byte(state)) != 1 || tx.Created <= 0 {
		return nil, ErrStateInvalid
	}
	now := r.now()
	expiry := time.Unix(tx.Expiry, 0)
	if !now.Before(expiry) {
		return nil, ErrStateExpired
	}
	// Single use across instances: the state is recorded in the replay
	// store (see Config.ReplayStore) until the login would expire anyway.
	sum := sha256.Sum256([]byte(state))
	first, err := r.firstUse(req.Context(), "rp-state:"+hex.EncodeToString(sum[:]), expiry)
	if err != nil {
		return nil, replayStoreError(err)
	}
	if !first {
		return nil, ErrStateReused
	}
	return &tx, nil
}

// safeReturnTo resolves a return-to location against the redirect URL and
// returns it as a same-origin path (with query), or false when it would
// leave this origin or is otherwise unsafe to redirect to.
func safeReturnTo(raw string, base *url.URL) (string, bool) {
	if raw == "" {
		return "/", true
	}
	if len(raw) > 2048 || strings.Contains(raw, "\\") || strings.ContainsFunc(raw, unicode.IsControl) {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	if u.IsAbs() || u.Host != "" || u.Opaque != "" {
		if u.Scheme != base.Scheme || !strings.EqualFold(u.Host, base.Host) || u.Opaque != "" || u.User != nil {
			return "", false
		}
	} else if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return "", false
	}
	resolved := base.ResolveReference(u)
	if resolved.Scheme != base.Scheme || !strings.EqualFold(resolved.Host, base.Host) {
		return "", false
	}
	out := resolved.EscapedPath()
	if out == "" {
		out = "/"
	}
	segments := strings.Split(resolved.Path, "/")
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") ||
		strings.HasPrefix(resolved.Path, "//") || strings.Contains(resolved.Path, "\\") ||
		strings.ContainsFunc(resolved.Path, unicode.IsControl) ||
		slices.Contains(segments, ".") || slices.Contains(segments, "..") {
		// Dot segments can collapse "/.//host" into a network path, and
		// "/%2F/host" or "/%5Chost" become one wherever the path is
		// decoded before a redirect. So do "/%2e//host" and
		// "/%2e%2e//host" (browsers read "%2e" as a dot), and "/%09/host"
		// once decoded (browsers drop tabs and newlines).
		return "", false
	}
	if resolved.RawQuery != "" {
		out += "?" + resolved.RawQuery
	}
	return out, true
}
