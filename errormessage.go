package rp

import "errors"

// ErrorMessage says what went wrong with a sign-in (or a back-channel
// logout token) in a sentence fit for the user, without any detail from
// the provider or the tokens (ErrorCode names the kind for logs and
// metrics, ErrorRef the reference to quote).
func ErrorMessage(err error) string {
	switch {
	case errors.Is(err, ErrReplayStore):
		return "Signing in is not possible right now. Please try again in a moment."
	case errors.Is(err, ErrState):
		return "This sign-in link expired or was already used. Please sign in again."
	case errors.Is(err, ErrAuthorization):
		return "The identity provider did not sign you in."
	case errors.Is(err, ErrIssuerMismatch), errors.Is(err, ErrInvalidIDToken), errors.Is(err, ErrMissingIDToken),
		errors.Is(err, ErrUserInfoSubjectMismatch), errors.Is(err, ErrResponseJWT):
		return "The identity provider's answer could not be verified."
	case errors.Is(err, ErrTokenExchange), errors.Is(err, ErrUserInfo):
		return "The identity provider could not be reached or refused the sign-in."
	case errors.Is(err, ErrNoLocalAccount), errors.Is(err, ErrAmbiguousUser):
		return "There is no account here for this identity."
	case errors.Is(err, ErrUnverifiedEmail):
		return "Your email address is not verified by the identity provider, so it cannot be linked to an account."
	case errors.Is(err, ErrSubjectConflict):
		return "This account is already linked to another identity at this provider."
	case errors.Is(err, ErrAdminRefused):
		return "Administrators must sign in with their password."
	case errors.Is(err, ErrUserExists):
		return "An account with this username or email already exists."
	case errors.Is(err, ErrUnsafeReturnTo), errors.Is(err, ErrInvalidLoginOption), errors.Is(err, ErrMalformedResponse):
		return "The sign-in request was not valid."
	case errors.Is(err, ErrInvalidLogoutToken):
		return "The identity provider's logout request could not be verified."
	case errors.Is(err, ErrHookPanicked):
		return "Signing in failed because of an error on this site."
	case errors.Is(err, ErrHookRefused):
		return "This site did not accept the sign-in."
	}
	return "Sign-in failed."
}
