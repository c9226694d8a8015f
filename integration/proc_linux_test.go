//go:build integration && linux

package integration

import (
	"os/exec"
	"syscall"
)

// setProcessAttributes has the kernel kill the provider when the test
// binary dies without running its cleanup (a panic, a -timeout, a kill).
func setProcessAttributes(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
