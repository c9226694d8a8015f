// Command oidccheck tests OpenID Connect relying-party settings against the
// provider without signing anyone in, like the "Test settings" button of a
// settings page, and prints one finding per line. Beyond reading the
// provider's metadata, it asks the provider whether it accepts the redirect
// URL (and, with -post-logout-redirect-url, the post-logout one) and the
// client ID and secret (a token request for a made-up code, which issues no
// token; -skip-credential-probe turns it off).
//
// Usage:
//
//	OIDC_CLIENT_SECRET=... oidccheck -authority URL -client-id ID -redirect-url URL [flags]
//
// It exits 0 when nothing failed (warnings allowed), 1 when a check failed
// and 2 on bad usage. See rp.Check for what is checked.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/oidcrp/rp"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// secretEnv is the environment variable that holds the client secret.
const secretEnv = "OIDC_CLIENT_SECRET"

// run parses args, checks the settings they describe and prints the report
// to stdout; usage errors go to stderr. It returns the exit status: 0 when
// no finding failed, 1 when one did, 2 on bad usage.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("oidccheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg            rp.Config
		secret, scopes string
		tenants        string
		opts           rp.CheckOptions
	)
	fs.StringVar(&cfg.Authority, "authority", "", "the provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant-id>/v2.0")
	fs.StringVar(&cfg.MetadataURL, "metadata-url", "", "the discovery document's URL, when it is not at the authority's /.well-known/openid-configuration")
	fs.StringVar(&cfg.ClientID, "client-id", "", "the client (application) ID registered at the provider")
	fs.StringVar(&secret, "client-secret", "", "the client secret; better set "+secretEnv+", which keeps it out of the process list and shell history")
	fs.StringVar(&cfg.RedirectURL, "redirect-url", "", "the callback URL registered at the provider, e.g. https://app.example.com/callback")
	fs.StringVar(&scopes, "scopes", "", `scopes to request, separated by spaces or commas (default "openid profile email")`)
	fs.StringVar(&cfg.ResponseType, "response-type", "", `"code" (default), "id_token", "id_token token", "code id_token", "code token" or "code id_token token"`)
	fs.StringVar(&cfg.ResponseMode, "response-mode", "", `"query", "form_post" or "fragment" (default: query for code, form_post otherwise)`)
	fs.StringVar(&cfg.ClientAuth, "client-auth", "", `"client_secret_basic", "client_secret_post" or "none" (default: chosen from the provider's metadata)`)
	fs.StringVar(&opts.PostLogoutRedirectURL, "post-logout-redirect-url", "", "also ask the provider whether it accepts this URL after logout (post_logout_redirect_uri)")
	fs.BoolVar(&opts.SkipCredentialProbe, "skip-credential-probe", false, "do not test the client ID and secret with a token request for a made-up code (some providers alert on failed token requests)")
	fs.StringVar(&tenants, "tenants", "", "Microsoft Entra tenant IDs allowed through a multi-tenant authority, separated by commas")
	fs.BoolVar(&cfg.AllowAnyTenant, "any-tenant", false, "admit every Entra tenant through a multi-tenant authority (deliberately)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: oidccheck -authority URL -client-id ID -redirect-url URL [flags]\n\n"+
			"Tests OpenID Connect settings against the provider without signing anyone in:\n"+
			"discovery, keys, capabilities, whether the redirect URL is registered (an\n"+
			"authorization request with prompt=none, not followed) and whether the client\n"+
			"ID and secret are right (a token request for a made-up code, which mints no\n"+
			"token; -skip-credential-probe turns it off).\n"+
			"The client secret is read from -client-secret or, better, from the environment\n"+
			"variable %s, which keeps it out of the process list.\n"+
			"Exit status: 0 when no check failed, 1 when one did, 2 on bad usage.\n\nFlags:\n", secretEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var missing []string
	if cfg.Authority == "" && cfg.MetadataURL == "" {
		missing = append(missing, "-authority (or -metadata-url)")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "-client-id")
	}
	if cfg.RedirectURL == "" {
		missing = append(missing, "-redirect-url")
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "oidccheck: unexpected argument %q; every setting is a flag\n", fs.Arg(0))
	case len(missing) > 0:
		fmt.Fprintf(stderr, "oidccheck: missing %s\n", strings.Join(missing, ", "))
	}
	if fs.NArg() > 0 || len(missing) > 0 {
		fs.Usage()
		return 2
	}
	if secret == "" {
		secret = getenv(secretEnv)
	}
	cfg.ClientSecret = rp.Secret(secret)
	cfg.Scopes = split(scopes, " ,")
	cfg.AllowedTenants = split(tenants, ",")

	report := rp.Check(context.Background(), cfg, opts)
	fmt.Fprint(stdout, report)
	if !report.OK() {
		return 1
	}
	return 0
}

// split cuts s at any of the separator characters in seps, dropping empty
// and surrounding-space parts; it returns nil for a blank s.
func split(s, seps string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
