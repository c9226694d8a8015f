//go:build integration && !linux

package integration

import "os/exec"

// setProcessAttributes does nothing here: only Linux can tie the
// provider's life to the test binary's. TestMain still kills it.
func setProcessAttributes(*exec.Cmd) {}
