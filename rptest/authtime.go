package rptest

import "time"

// reauth is what an authorization request says about the user's
// authentication.
type reauth struct {
	fresh  bool  // prompt=login, or the user was just chosen on the login page
	maxAge int64 // max_age in seconds; negative when absent
	silent bool  // prompt=none: no re-authentication may happen
}

// SetAuthTime pretends that the user with Subject sub signed in at t. Later
// authorization requests for that user report auth_time t until the user
// signs in again: at the first authorization request for a user (who then
// signs in at once), with prompt=login, on the login page, or when the
// request's max_age is shorter than the time elapsed since t (by the
// Config clock), in which cases auth_time becomes the request's time. A
// request with prompt=none that would need such a re-authentication is
// answered with error=login_required. sub need not name an existing user.
func (s *Server) SetAuthTime(sub string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authTimes[sub] = t
}

// signIn returns the auth_time of sub for an authorization request at now
// with the requirements of req, recording a new sign-in when one happens.
// It reports false when a re-authentication is needed but req is silent.
func (s *Server) signIn(sub string, now time.Time, req reauth) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last, known := s.authTimes[sub]
	expired := req.maxAge >= 0 && now.Unix()-last.Unix() > req.maxAge
	switch {
	case !known:
	case req.fresh || expired:
		if req.silent {
			return time.Time{}, false
		}
	default:
		return last, true
	}
	s.authTimes[sub] = now
	return now, true
}
