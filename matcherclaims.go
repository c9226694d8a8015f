package rp

import (
	"maps"
	"slices"
)

// ClaimNames lists the claims Match reads from an Identity with the given
// UsernameClaim and EmailClaim, besides those two: GroupsClaim, the
// AttributeClaims values (sorted), and upn and unique_name when AutoLink
// falls back to them (neither claim mapped). It implements ClaimReader, so
// that under UserInfoAuto a login fetches userinfo when the ID token lacks
// one of them.
func (m *Matcher) ClaimNames(usernameClaim, emailClaim string) []string {
	var names []string
	if m.cfg.GroupsClaim != "" {
		names = append(names, m.cfg.GroupsClaim)
	}
	for _, claim := range slices.Sorted(maps.Values(m.cfg.AttributeClaims)) {
		if claim != "" && !slices.Contains(names, claim) {
			names = append(names, claim)
		}
	}
	if m.cfg.AutoLink && usernameClaim == "" && emailClaim == "" {
		names = append(names, "upn", "unique_name")
	}
	return names
}
