// Package loopback tells loopback hosts apart, where plain http is
// allowed: the one rule rp, connection and web share.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host (a URL's Hostname) is "localhost" or a
// loopback IP address (127.0.0.0/8, ::1). A name that merely starts with
// "127." is not.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
