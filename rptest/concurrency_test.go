package rptest

import (
	"fmt"
	"testing"
)

// TestConcurrentUse runs flows in parallel while the configuration
// changes, for the race detector.
func TestConcurrentUse(t *testing.T) {
	s, _ := newTest(t, nil)
	t.Run("group", func(t *testing.T) {
		for i := 0; i < 4; i++ {
			t.Run(fmt.Sprint("flow", i), func(t *testing.T) {
				t.Parallel()
				for j := 0; j < 5; j++ {
					tok := login(t, s)
					userinfo(t, s, tok["access_token"].(string))
				}
			})
		}
		t.Run("mutator", func(t *testing.T) {
			t.Parallel()
			for j := 0; j < 5; j++ {
				s.SetFaults(Faults{Azp: "x"})
				s.AddUser(User{Subject: "carol"})
				s.RotateKey(true)
				s.SetFaults(Faults{})
				_ = s.Requests(EndpointToken)
			}
		})
	})
	if n := s.Requests(EndpointToken); n != 20 {
		t.Errorf("Requests(token) = %d, want 20", n)
	}
}
