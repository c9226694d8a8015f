package rptest_test

import (
	"fmt"
	"net/url"

	"github.com/oidcrp/rp/rptest"
)

func Example() {
	op := rptest.NewServer(rptest.Config{
		Users: []rptest.User{{Subject: "alice", Claims: map[string]any{"email": "alice@example.com"}}},
	})
	defer op.Close()

	// Configure the relying party under test with op.Issuer(),
	// op.ClientID() and op.ClientSecret(), and give it op.Client().
	u, err := url.Parse(op.Issuer())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Scheme)
	// Output: http
}
