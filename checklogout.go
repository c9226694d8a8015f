package rp

// The checks of the provider's logout capabilities.

// logout records the "backchannel_logout" and "frontchannel_logout"
// findings: whether a sign-out at the provider can end the sessions of
// this application, and how.
func (c *checker) logout(md *ProviderMetadata) {
	if c.manual {
		c.add("backchannel_logout", CheckOK, "not checked: Endpoints are configured by hand, so whether the provider sends back-channel logout tokens is unknown")
		c.add("frontchannel_logout", CheckOK, "not checked: Endpoints are configured by hand, so whether the provider supports front-channel logout is unknown")
		return
	}
	back := md.BackchannelLogoutSupported
	switch {
	case back && md.BackchannelLogoutSessionSupported:
		c.add("backchannel_logout", CheckOK, "the provider supports back-channel logout, naming the session (sid) in its logout tokens: "+
			"register the application's back-channel logout URL at the provider, and a sign-out there ends the session here")
	case back:
		c.add("backchannel_logout", CheckOK, "the provider supports back-channel logout, but its logout tokens name only the user "+
			"(backchannel_logout_session_supported is not advertised): a sign-out there ends every session of that user here")
	default:
		c.add("backchannel_logout", CheckWarn, "the provider does not advertise back-channel logout (backchannel_logout_supported): "+
			"a sign-out at the provider will not end sessions here, and users stay signed in to this application until their session ends or they sign out here")
	}
	front := md.FrontchannelLogoutSupported
	switch {
	case front && md.FrontchannelLogoutSessionSupported:
		c.add("frontchannel_logout", CheckOK, "the provider supports front-channel logout with the iss and sid parameters")
	case back:
		c.add("frontchannel_logout", CheckOK, "the provider does not advertise front-channel logout with iss and sid "+
			"(frontchannel_logout_supported and frontchannel_logout_session_supported); back-channel logout covers sign-outs at the provider")
	case front:
		c.add("frontchannel_logout", CheckWarn, "the provider supports front-channel logout, but without the iss and sid parameters "+
			"(frontchannel_logout_session_supported), which are needed to find the session: a sign-out at the provider will not end sessions here")
	default:
		c.add("frontchannel_logout", CheckWarn, "the provider advertises neither front-channel nor back-channel logout: "+
			"a sign-out at the provider will not end sessions here")
	}
}
