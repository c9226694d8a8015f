package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/oidcrp/rp/connection"
)

// versionColumns are the columns of connection_versions (aliased v) that
// scanVersion reads, in its order.
const versionColumns = `v.name, v.version, v.settings, v.sealed_secret, v.updated_ns, v.updated_by`

// columnsKept are the Settings fields held in their own columns, or not at
// all (the client secret), and so left out of the settings JSON.
var columnsKept = []string{"name", "version", "client_secret", "updated", "updated_by"}

// encodeSettings returns s as the JSON of the settings column: every field
// but those of columnsKept. The secret is zeroed before marshalling, so its
// value cannot reach the JSON whatever ClientSecret's JSON form.
func encodeSettings(s connection.Settings) (string, error) {
	s.ClientSecret = connection.ClientSecret{}
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return "", err
	}
	for _, k := range columnsKept {
		delete(fields, k)
	}
	b, err = json.Marshal(fields)
	return string(b), err
}

// versionRow is one row of connection_versions as read.
type versionRow struct {
	name      string
	version   int64
	settings  string
	sealed    string
	updatedNS int64
	updatedBy string
}

type scanner interface{ Scan(dest ...any) error }

func scanVersion(sc scanner) (versionRow, error) {
	var r versionRow
	err := sc.Scan(&r.name, &r.version, &r.settings, &r.sealed, &r.updatedNS, &r.updatedBy)
	return r, err
}

// settings decodes r and opens its secret. The row is not trusted: the
// columns override whatever the JSON says of the name, version, time and
// secret, and a secret that does not open under r's name fails with an
// error wrapping connection.ErrStore and connection.ErrSealedSecret (the
// connection is not usable rather than usable without its secret).
func (s *Store) settings(r versionRow) (connection.Settings, error) {
	var st connection.Settings
	if err := json.Unmarshal([]byte(r.settings), &st); err != nil {
		return connection.Settings{}, fmt.Errorf("%w: sqlstore: connection %q version %d: settings column does not decode: %w",
			connection.ErrStore, r.name, r.version, err)
	}
	st.Name = r.name
	st.Version = r.version
	st.Updated = time.Unix(0, r.updatedNS).UTC()
	st.UpdatedBy = r.updatedBy
	st.ClientSecret = connection.ClientSecret{}
	if r.sealed != "" {
		secret, err := s.sealer.Open(r.name, r.sealed)
		if err != nil {
			return connection.Settings{}, fmt.Errorf("%w: sqlstore: connection %q version %d: client secret: %w",
				connection.ErrStore, r.name, r.version, err)
		}
		st.ClientSecret = connection.ClientSecret{Value: secret, IsSet: true}
	}
	return st, nil
}
