// Package suitecheck checks a conformance suite against deliberately
// broken implementations: the suite runs on each of them in a child test
// process (their failures must not fail the parent), and the parent checks
// that each one failed in the subtests that should catch it. The store
// suites (session/storetest, connection/storetest, userstoretest) use it
// to show that their tests can fail.
package suitecheck

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// childEnv names, in the child process, the test that runs the cases.
const childEnv = "RP_SUITECHECK_CHILD"

// Case is one implementation to run the suite on.
type Case struct {
	// Name names the case's subtest: letters, digits and '_'.
	Name string
	// Fails lists the suite's subtests that must fail on this case
	// (others may fail too). Empty: a correct implementation, on which
	// every subtest must pass.
	Fails []string
	// Run runs the suite on the case.
	Run func(t *testing.T)
}

// Run runs cases in a child process of the test binary, re-running the
// calling test there, and checks the outcome of each. It is skipped with
// -short.
func Run(t *testing.T, cases []Case) {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		for _, c := range cases {
			t.Run(c.Name, c.Run)
		}
		return
	}
	if testing.Short() {
		t.Skip("runs the suite in a child process")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed every broken implementation:\n%s", out)
	}
	failed := map[string]bool{}
	for _, m := range regexp.MustCompile(`--- FAIL: `+regexp.QuoteMeta(t.Name())+`/(\w+)/(\w+) `).FindAllStringSubmatch(string(out), -1) {
		failed[m[1]+"/"+m[2]] = true
	}
	for _, c := range cases {
		if len(c.Fails) == 0 {
			for k := range failed {
				if strings.HasPrefix(k, c.Name+"/") {
					t.Errorf("the suite failed the correct %s in %s", c.Name, k)
				}
			}
		}
		for _, sub := range c.Fails {
			if !failed[c.Name+"/"+sub] {
				t.Errorf("the suite did not catch %s in %s", c.Name, sub)
			}
		}
	}
	if strings.Contains(string(out), "panic:") {
		t.Errorf("the suite panicked")
	}
	if t.Failed() {
		t.Logf("output of the suite:\n%s", out)
	}
}
