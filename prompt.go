package rp

import (
	"fmt"
	"slices"
	"strings"
)

// PromptValues are the values of the OpenID Connect prompt parameter that
// Config.Prompt and LoginOptions.Prompt accept, alone or several separated
// by spaces; "none" must stand alone.
var PromptValues = []string{"none", "login", "consent", "select_account"}

// promptProblem says what is wrong with a prompt value, or returns "".
func promptProblem(prompt string) string {
	values := strings.Fields(prompt)
	if len(values) == 0 || strings.Join(values, " ") != prompt {
		return fmt.Sprintf("%q is not a prompt; use none, login, consent or select_account, several separated by single spaces", prompt)
	}
	for _, v := range values {
		if !slices.Contains(PromptValues, v) {
			return fmt.Sprintf("%q is not a prompt value; use none, login, consent or select_account", v)
		}
	}
	if len(values) > 1 && slices.Contains(values, "none") {
		return fmt.Sprintf("%q combines none with other values; none must stand alone (use none for a silent sign-in, or drop it)", prompt)
	}
	return ""
}

// ErrInteractionRequired is matched by a *AuthorizationError whose code says the
// provider could not sign the user in without showing a page:
// login_required, consent_required, interaction_required or
// account_selection_required (OpenID Connect Core section 3.1.2.6). Such
// errors answer a login with prompt=none; an application can then start
// an interactive login (without prompt none). They match ErrAuthorization too.
var ErrInteractionRequired = fmt.Errorf("%w: user interaction required", ErrAuthorization)

// interactionCodes are the error codes ErrInteractionRequired matches.
var interactionCodes = []string{"login_required", "consent_required", "interaction_required", "account_selection_required"}
