package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/oidcrp/rp"
)

// trialView is the data of trial.html: what a test sign-in proved.
type trialView struct {
	page
	Name, Edit string
	// Completed: the provider's answer passed every check. Error says
	// otherwise why not, in plain words.
	Completed bool
	Error     string
	// Claims are the verified claims, as JSON values.
	Claims []claimRow
	// Mapped are the claims the settings read and what they hold.
	Mapped []claimRow
	// Outcome is a stable word for what the matcher would do
	// ("sign_in", "link", "create", "refuse", "not_matched", "failed");
	// Verdict says it in words, Details add what else would change.
	Outcome string
	Verdict string
	Refused bool
	Details []string
}

// claimRow is one claim.
type claimRow struct{ Name, Value, Note string }

// maxClaims and maxClaimLen bound what the result shows of the claims.
const (
	maxClaims   = 100
	maxClaimLen = 300
)

// trialOutcome turns a test sign-in's callback into its result page.
func (h *Handler) trialOutcome(t *trial, res *rp.Result, err error) *trialView {
	v := &trialView{Name: t.settings.Name, Edit: h.cfg.Path + "connections/" + t.settings.Name}
	if err != nil {
		v.Outcome = "failed"
		v.Error = "The sign-in did not complete: " + rp.ErrorMessage(err) + " (" + rp.ErrorCode(err) + ")."
		var ae *rp.AuthorizationError
		if errors.As(err, &ae) {
			v.Error += fmt.Sprintf(" The provider answered %s", ae.Code)
			if ae.Description != "" {
				v.Error += ": " + ae.Description
			}
			v.Error += "."
		}
		return v
	}
	v.Completed = true
	claims := res.Claims
	for i, k := range slices.Sorted(maps.Keys(claims.Raw)) {
		if i == maxClaims {
			v.Claims = append(v.Claims, claimRow{Name: "…", Value: fmt.Sprintf("%d more claims not shown", len(claims.Raw)-maxClaims)})
			break
		}
		v.Claims = append(v.Claims, claimRow{Name: k, Value: claimText(claims.Raw[k])})
	}
	s := &t.settings
	mapped := func(label, claim, dflt string) {
		if claim == "" {
			if dflt == "" {
				return
			}
			claim = dflt
		}
		row := claimRow{Name: label + " (" + claim + ")"}
		if val, ok := claims.Raw[claim]; ok {
			row.Value = claimText(val)
		} else {
			row.Note = "missing: neither the ID token nor userinfo has this claim; check the claim's name and the scopes"
		}
		v.Mapped = append(v.Mapped, row)
	}
	mapped("Username claim", s.UsernameClaim, "")
	mapped("Email claim", s.EmailClaim, "")
	if s.EmailClaim != "" || s.UsernameClaim == "email" {
		mapped("Email verified", "email_verified", "email_verified")
	}
	mapped("Groups claim", s.GroupsClaim, "")
	h.verdict(v, t)
	return v
}

// verdict says what the matcher would have done.
func (h *Handler) verdict(v *trialView, t *trial) {
	pv := t.preview
	pv.mu.Lock()
	user, err, ran := pv.user, pv.err, pv.ran
	pv.mu.Unlock()
	rec := pv.rec
	rec.mu.Lock()
	created, links, updated := rec.created, slices.Clone(rec.links), rec.updated
	rec.mu.Unlock()
	if !ran {
		v.Outcome = "not_matched"
		v.Verdict = "The application gave no user store to this page, so what the sign-in would do with accounts is not shown."
		return
	}
	if err != nil {
		v.Outcome, v.Refused = "refuse", true
		v.Verdict = "Would refuse the sign-in: " + refusal(err)
		return
	}
	switch {
	case created != nil:
		v.Outcome = "create"
		v.Verdict = fmt.Sprintf("Would create an account %s, linked to sub %s.", created.Username, t.subject())
		if created.Email != "" {
			v.Details = append(v.Details, "Its email would be "+created.Email+".")
		}
		if len(created.Groups) > 0 {
			v.Details = append(v.Details, "Its groups would be "+strings.Join(created.Groups, ", ")+".")
		}
	case len(links) > 0:
		v.Outcome = "link"
		v.Verdict = fmt.Sprintf("Would link sub %s to the account %s.", links[0].subject, accountName(user))
	default:
		v.Outcome = "sign_in"
		v.Verdict = fmt.Sprintf("Would sign in as %s (already linked).", accountName(user))
	}
	if updated != nil {
		v.Details = append(v.Details, "Would update the account's profile and groups (sync).")
		if len(updated.Groups) > 0 {
			v.Details = append(v.Details, "Its groups would be "+strings.Join(updated.Groups, ", ")+".")
		}
	}
	v.Details = append(v.Details, "Nothing was changed: no account was created or linked, and nobody was signed in.")
}

// subject is the sub the trial's claims carried.
func (t *trial) subject() string {
	t.preview.mu.Lock()
	defer t.preview.mu.Unlock()
	if t.preview.id == nil || t.preview.id.Claims == nil {
		return ""
	}
	return t.preview.id.Claims.Subject
}

// accountName names a local account for the administrator.
func accountName(u *rp.User) string {
	if u == nil {
		return "(none)"
	}
	name := u.Username
	if name == "" {
		name = u.ID
	}
	if u.Admin {
		name += " (an administrator)"
	}
	return name
}

// refusal says why the matcher refused a sign-in, and what to change.
func refusal(err error) string {
	switch {
	case errors.Is(err, rp.ErrNoLocalAccount):
		return "no local account matches these claims, and none may be created. Turn on Create users, or Link existing accounts with a username or email claim that holds the account's name."
	case errors.Is(err, rp.ErrUnverifiedEmail):
		return "the email claim would link or name an account, but the provider does not say the address is verified (email_verified). Link by a username claim instead, or have the provider send email_verified."
	case errors.Is(err, rp.ErrSubjectConflict):
		return "the matching account is already linked to another sub of this provider, and a link is never replaced automatically."
	case errors.Is(err, rp.ErrAdminRefused):
		return "the matching account is an administrator, and Allow OIDC login for admin users is off."
	case errors.Is(err, rp.ErrUserExists):
		return "a new account would be created, but its username or email belongs to another account. Turn on Link existing accounts to link that account instead."
	case errors.Is(err, rp.ErrAmbiguousUser):
		return "several accounts match, so none is chosen. Make the usernames and emails of the accounts unique."
	case errors.Is(err, rp.ErrStore):
		return "the user store failed, so nothing can be told. Try again in a moment."
	}
	return rp.ErrorMessage(err)
}

// claimText is a claim's value as compact JSON, shortened.
func claimText(v any) string {
	if s, ok := v.(string); ok {
		return truncate(s, maxClaimLen)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "(not JSON)"
	}
	return truncate(string(b), maxClaimLen)
}
