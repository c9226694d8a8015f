package rp

import (
	"maps"
	"slices"
)

// ClaimNames lists the claims Match reads besides the identity's username
// and email claims: GroupsClaim, the AttributeClaims values (sorted), and
// upn and unique_name when AutoLink may look accounts up by them. It
// implements ClaimReader, so that under UserInfoAuto a login fetches
// userinfo when the ID token lacks one of them.
func (m *Matcher) ClaimNames() []string {
	var names []string
	if m.cfg.GroupsClaim != "" {
		names = append(names, m.cfg.GroupsClaim)
	}
	for _, claim := range slices.Sorted(maps.Values(m.cfg.AttributeClaims)) {
		if claim != "" && !slices.Contains(names, claim) {
			names = append(names, claim)
		}
	}
	if m.cfg.AutoLink {
		names = append(names, "upn", "unique_name")
	}
	return names
}
