// Package connection holds identity provider connections configured at
// run time: the settings an administrator edits on a "Sign in with your
// identity provider" page, as data an application stores, edits and
// applies on every instance without a restart.
//
//   - Settings is one connection as the administrator sees it: the
//     provider's location (authority, configuration URL or endpoints), the
//     client ID and a write-only client secret (ClientSecret), scopes, the
//     claims that identify users, and the account rules (create users,
//     sync, autolink, admins). Settings.Config turns it into an rp.Config
//     and Settings.MatcherConfig into an rp.MatcherConfig; their problems
//     name the administrator's fields (rp.ConfigProblem.Field is the JSON
//     name, such as "client_id"), with rp.Config.Validate's messages.
//     ClientSecret marshals to JSON as {"set": true|false} only.
//   - Store keeps connections as immutable versions with optimistic
//     concurrency: Put on a stale version fails with ErrConflict. Old
//     versions stay readable (GetVersion) for at least RetainSuperseded,
//     so a login started under one version completes under it.
//     NextVersion implements the rules of Put for Store implementations.
//     MemoryStore is the in-process Store; the module
//     github.com/oidcrp/rp/connection/sqlstore stores connections in SQLite
//     or PostgreSQL; package connection/storetest is the conformance suite
//     every Store must pass.
//   - SecretSealer seals client secrets at rest with AES-256-GCM under the
//     application's keys, bound to their connection's name, so the
//     database never holds a secret in clear and a sealed secret copied to
//     another connection does not open; KeyID and Current tell which key
//     sealed a row, and Reseal moves it to the current key.
//   - Route picks the connection that owns an email address's domain
//     (home-realm discovery), or says why none does (ErrNoConnectionForDomain,
//     ErrAmbiguousDomain, ErrConsumerDomain, ErrInvalidEmail), never
//     picking one of several; NormalizeDomain and IsConsumerDomain are its
//     rules for domains. DomainVerifier issues and checks DNS TXT proofs of
//     domain ownership.
//
// Package github.com/oidcrp/rp/web serves the connections of a Store
// (web.Config.Connections): it builds each connection's RP on first use and
// rebuilds it when a new version is saved.
package connection
