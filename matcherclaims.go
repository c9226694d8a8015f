package rp

import (
	"maps"
	"slices"
)

// ClaimNames lists the claims Match reads from an Identity with the
// mapping of id, besides its UsernameClaim and EmailClaim: GroupsClaim, the
// AttributeClaims values (sorted), and upn and unique_name when AutoLink
// falls back to them (neither claim mapped, and id.MicrosoftNameClaims
// set). It implements ClaimReader, so that under UserInfoAuto a login
// fetches userinfo when the ID token lacks one of them. A nil id counts as
// no mapping.
func (m *Matcher) ClaimNames(id *Identity) []string {
	if id == nil {
		id = &Identity{}
	}
	var names []string
	if m.cfg.GroupsClaim != "" {
		names = append(names, m.cfg.GroupsClaim)
	}
	for _, claim := range slices.Sorted(maps.Values(m.cfg.AttributeClaims)) {
		if claim != "" && !slices.Contains(names, claim) {
			names = append(names, claim)
		}
	}
	if m.cfg.AutoLink && id.UsernameClaim == "" && id.EmailClaim == "" && id.MicrosoftNameClaims {
		names = append(names, "upn", "unique_name")
	}
	return names
}
