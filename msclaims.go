package rp

import (
	"fmt"
	"net/url"
	"strings"
)

// NameClaimsSetting says whether the Microsoft claims upn and unique_name
// may link a login to an account by username or email (step 5 of the
// Matcher's algorithm). Its zero value, NameClaimsAuto, decides by the
// provider's issuer. In JSON and other text formats it is "auto", "on" or
// "off".
type NameClaimsSetting int

const (
	// NameClaimsAuto trusts upn and unique_name only from Microsoft
	// issuers: Entra ID (https://login.microsoftonline.com,
	// login.microsoftonline.us, login.partner.microsoftonline.cn,
	// sts.windows.net and login.windows.net) and AD FS (an https issuer
	// whose path ends in /adfs).
	NameClaimsAuto NameClaimsSetting = iota
	// NameClaimsOn trusts upn and unique_name from this provider whatever
	// its issuer, e.g. for Entra behind a proxy or a provider that mimics
	// Microsoft's claims. Use it only when the provider sets these claims
	// itself and users cannot choose them.
	NameClaimsOn
	// NameClaimsOff never links by upn or unique_name.
	NameClaimsOff
)

// microsoftHosts are the hosts of Entra ID's issuers in its public and
// national clouds.
var microsoftHosts = []string{
	"login.microsoftonline.com",
	"login.microsoftonline.us",
	"login.partner.microsoftonline.cn",
	"sts.windows.net",
	"login.windows.net",
}

// String returns "auto", "on" or "off", or a number for an unknown value.
func (s NameClaimsSetting) String() string {
	switch s {
	case NameClaimsAuto:
		return "auto"
	case NameClaimsOn:
		return "on"
	case NameClaimsOff:
		return "off"
	}
	return fmt.Sprintf("NameClaimsSetting(%d)", int(s))
}

// MarshalText returns "auto", "on" or "off"; it fails for any other value.
func (s NameClaimsSetting) MarshalText() ([]byte, error) {
	if s < NameClaimsAuto || s > NameClaimsOff {
		return nil, fmt.Errorf("rp: unknown NameClaimsSetting %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads "auto" (or ""), "on" or "off"; anything else is an
// error and leaves s unchanged.
func (s *NameClaimsSetting) UnmarshalText(b []byte) error {
	switch string(b) {
	case "", "auto":
		*s = NameClaimsAuto
	case "on":
		*s = NameClaimsOn
	case "off":
		*s = NameClaimsOff
	default:
		return fmt.Errorf("rp: MicrosoftNameClaims must be \"auto\", \"on\" or \"off\", not %q", b)
	}
	return nil
}

// microsoftNameClaims turns the setting into Identity.MicrosoftNameClaims
// for a provider with issuer (possibly an Entra tenant template). An
// unknown setting counts as off.
func microsoftNameClaims(setting NameClaimsSetting, issuer string) bool {
	switch setting {
	case NameClaimsOn:
		return true
	case NameClaimsAuto:
		return isMicrosoftIssuer(issuer)
	}
	return false
}

// isMicrosoftIssuer reports whether issuer is an https URL of Entra ID or
// AD FS. A port or user info disqualifies it: Microsoft's issuers have
// neither.
func isMicrosoftIssuer(issuer string) bool {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || u.Host == "" {
		return false
	}
	for _, h := range microsoftHosts {
		if strings.EqualFold(u.Hostname(), h) {
			return true
		}
	}
	p := strings.ToLower(strings.TrimSuffix(u.Path, "/"))
	return strings.HasSuffix(p, "/adfs")
}
