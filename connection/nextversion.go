package connection

import (
	"fmt"
	"time"
)

// NextVersion applies the rules of Store.Put that do not depend on how a
// store keeps its data, for implementations of Store: it returns the
// version to save when s is put by by at now over latest, the latest
// stored version of s.Name (nil when there is none, or the connection was
// deleted), with the secret opened.
//
// It validates s (an *rp.ConfigError), checks s.Version against latest
// (ErrConflict when it is not latest's version, or not 0 for a new
// connection; ErrNotFound when s.Version is not 0 and there is no
// latest), applies ClientSecret.Action against latest's secret, writes
// the email domains in NormalizeDomain's form, and sets Version
// (latest's plus one, else lastVersion plus one), Updated (now),
// UpdatedBy (by), ClientSecret.IsSet, and ClientSecret.Action to "".
// lastVersion is the highest version the name ever had, deleted or not
// (0 if none): a re-created connection continues after it, so that no
// name and version ever stand for two different settings. The result
// shares nothing with s.
//
// What NextVersion cannot check, the store must: that no other
// connection holds one of the email domains (ErrDomainTaken), and that
// latest is still the latest when the new version is written.
func NextVersion(latest *Settings, lastVersion int64, s Settings, by string, now time.Time) (Settings, error) {
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	switch {
	case latest == nil && s.Version != 0:
		return Settings{}, fmt.Errorf("%w: connection %q", ErrNotFound, s.Name)
	case latest != nil && s.Version == 0:
		return Settings{}, fmt.Errorf("%w: a connection named %q exists already", ErrConflict, s.Name)
	case latest != nil && s.Version != latest.Version:
		return Settings{}, fmt.Errorf("%w: connection %q is at version %d, the edit started from version %d", ErrConflict, s.Name, latest.Version, s.Version)
	}
	next := s.Clone()
	switch s.ClientSecret.Action {
	case "", SecretKeep:
		next.ClientSecret.Value = ""
		if latest != nil {
			next.ClientSecret.Value = latest.ClientSecret.Value
		}
	case SecretRemove:
		next.ClientSecret.Value = ""
	case SecretSet:
		// Value as given; Validate checked it is not empty.
	}
	next.ClientSecret.Action = ""
	next.ClientSecret.IsSet = next.ClientSecret.Value != ""
	for i, d := range next.EmailDomains {
		// Validate accepted every domain, so this cannot fail.
		norm, _ := NormalizeDomain(d.Domain)
		next.EmailDomains[i].Domain = norm
	}
	if latest != nil {
		lastVersion = max(lastVersion, latest.Version)
	}
	next.Version = lastVersion + 1
	next.Updated = now
	next.UpdatedBy = by
	return next, nil
}
