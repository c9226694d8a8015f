package rptest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultLogoutTokenTTL is how long after it was made a logout token of
// Server.LogoutToken expires, unless LogoutTokenOptions.Expiry says
// otherwise.
const DefaultLogoutTokenTTL = 2 * time.Minute

// maxLogoutResponse bounds the body SendBackchannelLogout reads.
const maxLogoutResponse = 64 << 10

// sendTimeout bounds each request of SendBackchannelLogout.
const sendTimeout = 10 * time.Second

// LogoutTokenOptions describe a back-channel logout token for
// Server.LogoutToken. The zero value of every field but Subject and
// SessionID gives a valid token; each other field spoils it one way, for
// tests of how a relying party refuses it.
type LogoutTokenOptions struct {
	// Subject is the sub claim: the user whose sessions end. "" leaves
	// sub out.
	Subject string
	// SessionID is the sid claim: the provider session that ended (see
	// Server.SessionIDs). "" leaves sid out. A token without Subject and
	// SessionID names neither, which a relying party must refuse.
	SessionID string

	// Issuer, if set, is the iss claim instead of the provider's issuer.
	Issuer string
	// Audience, if non-nil, is the aud claim instead of the client ID,
	// always in array form (an empty slice gives "aud":[]).
	Audience []string
	// OmitAudience leaves aud out. It wins over Audience.
	OmitAudience bool
	// IssuedAt, if non-zero, sets iat to now+IssuedAt by the Config
	// clock: negative is in the past (say -time.Hour for a stale token),
	// positive in the future.
	IssuedAt time.Duration
	// OmitIssuedAt leaves iat out. It wins over IssuedAt.
	OmitIssuedAt bool
	// Expiry, if non-zero, sets exp to now+Expiry instead of now +
	// DefaultLogoutTokenTTL; negative gives a token already expired.
	// (IssuedAt does not move exp: a stale token is not also expired.)
	Expiry time.Duration
	// OmitExpiry leaves exp out, as providers that follow the first
	// edition of the specification do.
	OmitExpiry bool
	// JTI, if set, is the jti claim, e.g. that of an earlier token to
	// replay it; by default every token has a new random jti.
	JTI string
	// OmitJTI leaves jti out. It wins over JTI.
	OmitJTI bool
	// Nonce, if set, adds a nonce claim, which a logout token must not
	// have (it is how an ID token is told apart).
	Nonce string
	// OmitEvents leaves the events claim out.
	OmitEvents bool
	// EventsNotObject makes events a JSON array holding the back-channel
	// logout event's name, instead of an object. It wins over OmitEvent
	// and EventNotObject.
	EventsNotObject bool
	// OmitEvent leaves the back-channel logout event out of events, which
	// then holds another event only.
	OmitEvent bool
	// EventNotObject makes the back-channel logout event's value the JSON
	// string "logout" instead of the empty object.
	EventNotObject bool
	// Type, if set, is the JOSE header's typ instead of "logout+jwt", say
	// "JWT" as in an ID token.
	Type string
	// OmitType leaves typ out of the header. It wins over Type.
	OmitType bool
	// UnknownKid signs the token with a key that is not published (the
	// BadSignature key) under a new random kid that no published key has:
	// what a forger sends, and what makes a relying party look for a new
	// key at the provider.
	UnknownKid bool
	// BadSignature signs the token with the key that is not published
	// while the header names the current kid, so the signature does not
	// verify.
	BadSignature bool
	// AlgNone sends an unsigned token: header {"alg":"none"}, the payload
	// and an empty signature. It wins over the other signing options.
	AlgNone bool
	// ExtraClaims are merged into the token last, overriding anything; a
	// nil value removes the claim.
	ExtraClaims map[string]any
}

// LogoutToken returns an OpenID Connect Back-Channel Logout token for
// opts.Subject and/or opts.SessionID, as the provider sends to a relying
// party's backchannel_logout_uri when a user signs out: signed with the
// current key and the server's SigningAlg, header typ "logout+jwt" and
// the current kid; claims iss as in the user's ID tokens (under
// Config.EntraMultiTenant with the user's tid, the user being
// opts.Subject or the user of the session opts.SessionID), aud (the
// client ID), iat (now, by the Config clock), exp (now +
// DefaultLogoutTokenTTL), a random jti, events holding the back-channel
// logout event as an empty object, sub and sid as given, and no nonce.
// The other options of opts spoil it one way each. No Faults apply.
// Deliver it with SendBackchannelLogout. It fails only when
// opts.ExtraClaims cannot be encoded as JSON or the token cannot be
// signed.
func (s *Server) LogoutToken(opts LogoutTokenOptions) (string, error) {
	now := s.now()
	claims := map[string]any{
		"aud": s.clientID,
		"iat": now.Unix(),
		"exp": now.Add(DefaultLogoutTokenTTL).Unix(),
		"jti": randomString(16),
	}
	s.setTokenIssuer(claims, opts.Subject, opts.SessionID)
	if opts.Subject != "" {
		claims["sub"] = opts.Subject
	}
	if opts.SessionID != "" {
		claims["sid"] = opts.SessionID
	}
	if opts.Issuer != "" {
		claims["iss"] = opts.Issuer
	}
	switch {
	case opts.OmitAudience:
		delete(claims, "aud")
	case opts.Audience != nil:
		claims["aud"] = slices.Clone(opts.Audience)
	}
	if opts.IssuedAt != 0 {
		claims["iat"] = now.Add(opts.IssuedAt).Unix()
	}
	if opts.OmitIssuedAt {
		delete(claims, "iat")
	}
	if opts.Expiry != 0 {
		claims["exp"] = now.Add(opts.Expiry).Unix()
	}
	if opts.OmitExpiry {
		delete(claims, "exp")
	}
	switch {
	case opts.OmitJTI:
		delete(claims, "jti")
	case opts.JTI != "":
		claims["jti"] = opts.JTI
	}
	if opts.Nonce != "" {
		claims["nonce"] = opts.Nonce
	}
	if events := logoutEvents(opts); events != nil {
		claims["events"] = events
	}
	applyExtraClaims(claims, opts.ExtraClaims)
	return s.signLogoutToken(claims, opts)
}

// logoutEvents is the events claim of a logout token made with opts, or
// nil for none.
func logoutEvents(opts LogoutTokenOptions) any {
	var event any = map[string]any{}
	if opts.EventNotObject {
		event = "logout"
	}
	switch {
	case opts.OmitEvents:
		return nil
	case opts.EventsNotObject:
		return []any{backChannelLogoutEvent}
	case opts.OmitEvent:
		return map[string]any{"https://schemas.example/event/other": map[string]any{}}
	}
	return map[string]any{backChannelLogoutEvent: event}
}

// signLogoutToken signs the claims of a logout token as opts say.
func (s *Server) signLogoutToken(claims map[string]any, opts LogoutTokenOptions) (string, error) {
	if opts.AlgNone {
		return unsignedJWT(claims)
	}
	h := header{typ: "logout+jwt", omitTyp: opts.OmitType}
	if opts.Type != "" {
		h.typ = opts.Type
	}
	key := s.currentKey()
	kid := key.kid
	if opts.UnknownKid || opts.BadSignature {
		rogue, err := s.rogueKey()
		if err != nil {
			return "", err
		}
		if opts.UnknownKid {
			kid = randomString(12)
		}
		key = rogue
	}
	return signJWT(key.alg, key.priv, kid, claims, h)
}

// SendBackchannelLogout delivers token to a relying party's
// backchannel_logout_uri as a provider does: a POST of
// logout_token=<token> as application/x-www-form-urlencoded. It returns
// the answer's status and body (a relying party answers 200 when it
// accepted the token, 400 otherwise, with Cache-Control: no-store). The
// request is bounded by ctx and by 10 seconds, redirects are not
// followed (the 3xx status is returned), and at most 64 KiB of the body
// is read: a longer body is returned cut, with an error. err is set when
// no answer came or its body could not be read in full.
func (s *Server) SendBackchannelLogout(ctx context.Context, uri, token string) (status int, body []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	form := url.Values{"logout_token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(form))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxLogoutResponse+1))
	if err == nil && len(body) > maxLogoutResponse {
		body, err = body[:maxLogoutResponse], errors.New("rptest: the back-channel logout response is longer than 64 KiB")
	}
	return resp.StatusCode, body, err
}
