package rptest

import "strings"

// responseType is a parsed response_type: which of code, id_token and
// access token the authorization response returns.
type responseType struct {
	code    bool
	idToken bool
	token   bool
}

// parseResponseType parses the space-separated response_type raw, whose
// values may come in any order. It accepts the OpenID Connect response
// types: "code", "id_token", "id_token token", "code id_token",
// "code token" and "code id_token token". Anything else, including the
// plain OAuth "token", an empty value or a repeated value, is not ok and
// gives the zero responseType, whose responses use the query.
func parseResponseType(raw string) (rt responseType, ok bool) {
	for _, v := range strings.Split(raw, " ") {
		switch {
		case v == "code" && !rt.code:
			rt.code = true
		case v == "id_token" && !rt.idToken:
			rt.idToken = true
		case v == "token" && !rt.token:
			rt.token = true
		default:
			return responseType{}, false
		}
	}
	if !rt.code && !rt.idToken {
		return responseType{}, false
	}
	return rt, true
}

// defaultMode returns the default response mode of rt: "fragment" when the
// response carries a token, "query" for code alone (OAuth 2.0 Multiple
// Response Type Encoding Practices, section 5).
func (rt responseType) defaultMode() string {
	if rt.idToken || rt.token {
		return "fragment"
	}
	return "query"
}

// responseMode returns the mode of the response to a request for rt with
// response_mode requested: requested when it is valid for rt, else rt's
// default, along with a description of what is wrong with requested, or
// "". Query is not valid when the response carries a token. The JARM
// modes are resolved by jarmResponseMode (jarm.go).
func (rt responseType) responseMode(requested string) (mode, problem string) {
	if mode, problem, ok := rt.jarmResponseMode(requested); ok {
		return mode, problem
	}
	switch requested {
	case "":
		return rt.defaultMode(), ""
	case "fragment", "form_post":
		return requested, ""
	case "query":
		if rt.defaultMode() == "query" {
			return requested, ""
		}
		return rt.defaultMode(), "response_mode=query must not carry tokens"
	}
	return rt.defaultMode(), "unsupported response_mode"
}
