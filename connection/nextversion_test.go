package connection

import (
	"errors"
	"testing"
	"time"

	"github.com/oidcrp/rp"
)

func TestNextVersion(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := valid()
	s.ClientSecret = ClientSecret{Action: SecretSet, Value: "s1"}
	s.EmailDomains = []EmailDomain{{Domain: "ACME.com."}}
	first, err := NextVersion(nil, 0, s, "ann", now)
	if err != nil {
		t.Fatal(err)
	}
	if first.Version != 1 || !first.Updated.Equal(now) || first.UpdatedBy != "ann" || first.ClientSecret != (ClientSecret{Value: "s1", IsSet: true}) ||
		first.EmailDomains[0].Domain != "acme.com" {
		t.Fatalf("NextVersion(new) = %+v", first)
	}
	if s.EmailDomains[0].Domain != "ACME.com." {
		t.Fatal("NextVersion changed its argument")
	}
	// Re-created after a deletion at version 4: continues at 5.
	if again, err := NextVersion(nil, 4, s, "ann", now); err != nil || again.Version != 5 {
		t.Fatalf("NextVersion(re-create after 4) = %d, %v; want 5", again.Version, err)
	}
	keep := first.Clone()
	keep.ClientSecret = ClientSecret{}
	second, err := NextVersion(&first, 1, keep, "bob", now.Add(time.Hour))
	if err != nil || second.Version != 2 || second.ClientSecret.Value != "s1" || second.UpdatedBy != "bob" {
		t.Fatalf("NextVersion(keep) = %+v, %v", second, err)
	}
	if _, err := NextVersion(&second, 2, keep, "bob", now); !errors.Is(err, ErrConflict) {
		t.Fatalf("NextVersion(stale) = %v; want ErrConflict", err)
	}
	fresh := valid()
	if _, err := NextVersion(&second, 2, fresh, "bob", now); !errors.Is(err, ErrConflict) {
		t.Fatalf("NextVersion(version 0 over existing) = %v; want ErrConflict", err)
	}
	if _, err := NextVersion(nil, 2, keep, "bob", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("NextVersion(edit of a missing connection) = %v; want ErrNotFound", err)
	}
	bad := fresh
	bad.ClientID = ""
	if _, err := NextVersion(nil, 0, bad, "bob", now); !errors.Is(err, rp.ErrInvalidConfig) {
		t.Fatalf("NextVersion(invalid) = %v; want rp.ErrInvalidConfig", err)
	}
	rm := second.Clone()
	rm.ClientSecret = ClientSecret{Action: SecretRemove}
	if third, err := NextVersion(&second, 2, rm, "bob", now); err != nil || third.ClientSecret != (ClientSecret{}) {
		t.Fatalf("NextVersion(remove) = %+v, %v", third.ClientSecret, err)
	}
}
