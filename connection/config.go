package connection

import (
	"maps"
	"slices"

	"github.com/oidcrp/rp"
)

// Config returns the rp.Config of the connection: base with the
// provider settings of s written over it. base carries what an
// administrator does not edit and the application decides: RedirectURL,
// CookieSecrets, ReplayStore, HTTPClient, Logger, timeouts, Now, and so
// on. Authority, MetadataURL, Endpoints, ClientID, ClientSecret (its
// Value), Scopes, ResponseType, DisablePKCE, Prompt, UsernameClaim and
// EmailClaim come from s, whatever base says.
//
// The error, when the result would not be valid, is an *rp.ConfigError
// listing the problems of Validate and those rp.Config.Validate finds in
// the result, fields named as in Validate; a problem of base's redirect
// URL is named "redirect_url", and other problems of base keep their
// rp.Config field name. The rp.Config is returned even then.
func (s *Settings) Config(base rp.Config) (rp.Config, error) {
	cfg := s.providerConfig(base)
	problems := s.ownProblems()
	problems = append(problems, mapProblems(cfg.Validate(), true)...)
	return cfg, configError(problems)
}

// providerConfig writes the provider settings of s over base.
func (s *Settings) providerConfig(base rp.Config) rp.Config {
	cfg := base
	cfg.Authority = s.Authority
	cfg.MetadataURL = s.ConfigurationURL
	cfg.Endpoints = nil
	if e := s.Endpoints; e != nil {
		cfg.Endpoints = &rp.Endpoints{
			Issuer:        e.Issuer,
			Authorization: e.Authorization,
			Token:         e.Token,
			JWKS:          e.JWKS,
			UserInfo:      e.UserInfo,
			EndSession:    e.EndSession,
		}
	}
	cfg.ClientID = s.ClientID
	cfg.ClientSecret = s.ClientSecret.Value
	cfg.Scopes = slices.Clone(s.Scopes)
	cfg.ResponseType = s.ResponseType
	cfg.DisablePKCE = s.DisablePKCE
	cfg.Prompt = s.Prompt
	cfg.UsernameClaim = s.UsernameClaim
	cfg.EmailClaim = s.EmailClaim
	return cfg
}

// MatcherConfig returns the account rules of the connection as an
// rp.MatcherConfig for rp.NewMatcher, over the application's user store:
// AutoLink, CreateUsers, SyncProfile, GroupsClaim, GroupMapping,
// SyncGroups, AllowAdmins and AttributeClaims (from AttributeMappings).
// The maps are copies. Other fields (OnlyKnownUsers, Logger, ...) are
// left zero for the application to set.
func (s *Settings) MatcherConfig(store rp.UserStore) rp.MatcherConfig {
	return rp.MatcherConfig{
		Store:           store,
		AutoLink:        s.AutoLink,
		CreateUsers:     s.CreateUsers,
		SyncProfile:     s.SyncProfile,
		GroupsClaim:     s.GroupsClaim,
		GroupMapping:    maps.Clone(s.GroupMapping),
		SyncGroups:      s.SyncGroups,
		AllowAdmins:     s.AllowAdmins,
		AttributeClaims: maps.Clone(s.AttributeMappings),
	}
}

// Clone returns a deep copy of s: changing the copy's slices, maps or
// Endpoints leaves s as it is.
func (s *Settings) Clone() Settings {
	c := *s
	if s.Endpoints != nil {
		e := *s.Endpoints
		c.Endpoints = &e
	}
	c.Scopes = slices.Clone(s.Scopes)
	c.GroupMapping = maps.Clone(s.GroupMapping)
	c.AttributeMappings = maps.Clone(s.AttributeMappings)
	c.EmailDomains = slices.Clone(s.EmailDomains)
	return c
}
