package userstoretest

import (
	"testing"

	"github.com/oidcrp/rp"
)

func testCreateAndFind(t *testing.T, e *env) {
	in := full("ann")
	got := e.create(in, issA, "sub-ann")
	want := in
	want.ID = got.ID
	sameUser(t, "CreateUser's result", got, &want)
	sameUser(t, "UserBySubject", e.bySubject(issA, "sub-ann", got.ID), &want)
	sameUser(t, "UserByUsername", e.byUsername("ann", got.ID), &want)
	sameUser(t, "UserByEmail", e.byEmail("ann@example.com", got.ID), &want)
	if sub := e.subjectOf(got.ID, issA); sub != "sub-ann" {
		t.Fatalf("SubjectOf the new user = %q; want sub-ann", sub)
	}
	// A second account gets an ID of its own.
	bob := e.create(rp.User{Username: "bob"}, issA, "sub-bob")
	if bob.ID == got.ID {
		t.Fatalf("two accounts share the ID %q", bob.ID)
	}
	sameUser(t, "a user with only a username", e.bySubject(issA, "sub-bob", bob.ID), &rp.User{ID: bob.ID, Username: "bob"})
}

func testNotFound(t *testing.T, e *env) {
	e.create(full("ann"), issA, "sub-ann")
	u, err := e.store.UserBySubject(e.ctx(), issA, "nobody")
	notFound(t, "UserBySubject of an unknown subject", u, err)
	u, err = e.store.UserByUsername(e.ctx(), "nobody")
	notFound(t, "UserByUsername of an unknown name", u, err)
	u, err = e.store.UserByEmail(e.ctx(), "nobody@example.com")
	notFound(t, "UserByEmail of an unknown address", u, err)
	// The username is not an email, nor the email a username.
	u, err = e.store.UserByUsername(e.ctx(), "ann@example.com")
	notFound(t, "UserByUsername of the email", u, err)
	u, err = e.store.UserByEmail(e.ctx(), "ann")
	notFound(t, "UserByEmail of the username", u, err)
	if sub, err := e.store.SubjectOf(e.ctx(), "no-such-user", issA); sub != "" || err != nil {
		t.Errorf("SubjectOf an unknown user = %q, %v; want \"\", nil", sub, err)
	}
}

func testSubjectPerIssuer(t *testing.T, e *env) {
	a := e.create(rp.User{Username: "ann"}, issA, "shared-sub")
	b := e.create(rp.User{Username: "bea"}, issB, "shared-sub")
	if a.ID == b.ID {
		t.Fatal("the same sub at two issuers made one account")
	}
	e.bySubject(issA, "shared-sub", a.ID)
	e.bySubject(issB, "shared-sub", b.ID)
	// Issuers and subjects are compared exactly.
	for _, c := range []struct{ iss, sub string }{
		{issA + "/", "shared-sub"},
		{"HTTPS://A.EXAMPLE.COM", "shared-sub"},
		{"https://c.example.com", "shared-sub"},
		{issA, "Shared-Sub"},
		{issA, "shared-sub "},
		{issA, "shared"},
	} {
		u, err := e.store.UserBySubject(e.ctx(), c.iss, c.sub)
		notFound(t, "UserBySubject("+c.iss+", "+c.sub+")", u, err)
	}
	// A subject differing only in case is another person.
	c := e.create(rp.User{Username: "cid"}, issA, "SHARED-SUB")
	if c.ID == a.ID {
		t.Fatal("a subject differing in case found the other account")
	}
}

func testIdentifierComparison(t *testing.T, e *env) {
	sam := e.create(rp.User{Username: "Sam", Email: "Sam@Example.com"}, issA, "sam")
	jose := e.create(rp.User{Username: "jos\u00e9", Email: "kim@example.com"}, issA, "jose")
	// ASCII letters ignore case; NFC makes composed and decomposed equal.
	e.byUsername("sam", sam.ID)
	e.byUsername("SAM", sam.ID)
	e.byEmail("sam@example.com", sam.ID)
	e.byEmail("SAM@EXAMPLE.COM", sam.ID)
	e.byUsername("jose\u0301", jose.ID)
	e.byUsername("JOS\u00e9", jose.ID)
	// Nothing else is folded, nothing trimmed.
	for _, v := range []string{
		"\u017fam",           // long s
		"\uff53am",           // fullwidth s
		"\uff53\uff41\uff4d", // fullwidth sam
		"sam ", " sam", "sa m",
		"jos\u00c9", // É is not ASCII: its case is not folded
		"jose",
	} {
		u, err := e.store.UserByUsername(e.ctx(), v)
		notFound(t, "UserByUsername("+v+")", u, err)
	}
	for _, v := range []string{"\u212aim@example.com", "\u017fam@example.com", "sam@example.com "} {
		u, err := e.store.UserByEmail(e.ctx(), v)
		notFound(t, "UserByEmail("+v+")", u, err)
	}
	// Turkish dotted and dotless i stand for no ASCII i.
	i := e.create(rp.User{Username: "ivan"}, issA, "ivan")
	e.byUsername("IVAN", i.ID)
	for _, v := range []string{"\u0130van", "\u0131van"} {
		u, err := e.store.UserByUsername(e.ctx(), v)
		notFound(t, "UserByUsername("+v+")", u, err)
	}
	// So a look-alike is another account, which may be created.
	ls := e.create(rp.User{Username: "\u017fam", Email: "\u017fam@example.com"}, issA, "long-s")
	if ls.ID == sam.ID {
		t.Fatal("the long-s account is the sam account")
	}
	e.byUsername("\u017fam", ls.ID)
	e.byUsername("sam", sam.ID)
	fw := e.create(rp.User{Username: "\uff53am"}, issA, "fullwidth")
	e.byUsername("\uff53am", fw.ID)
	e.byUsername("Sam", sam.ID)
}

func testUnusableIdentifiers(t *testing.T, e *env) {
	// Accounts without an email, or with identifiers that match nothing:
	// they collide with nothing either.
	a := e.create(rp.User{Username: "ann"}, issA, "a")
	b := e.create(rp.User{Username: "bob"}, issA, "b")
	k1 := e.create(rp.User{Username: "\u212a", Email: "\u212a@example.com"}, issA, "k1")
	k2 := e.create(rp.User{Username: "\u212a", Email: "\u212a@example.com"}, issA, "k2")
	if a.ID == b.ID || k1.ID == k2.ID {
		t.Fatal("accounts without usable identifiers were merged")
	}
	for _, v := range []string{"", "\xff", "ann\xff", "\u212a", "\u212a@example.com", "k", "k@example.com"} {
		u, err := e.store.UserByUsername(e.ctx(), v)
		notFound(t, "UserByUsername("+v+")", u, err)
		u, err = e.store.UserByEmail(e.ctx(), v)
		notFound(t, "UserByEmail("+v+")", u, err)
	}
	e.byUsername("ann", a.ID)
}

func testSubjectOf(t *testing.T, e *env) {
	ann := e.seed(rp.User{Username: "ann"})
	if sub := e.subjectOf(ann.ID, issA); sub != "" {
		t.Fatalf("SubjectOf an unlinked user = %q; want \"\"", sub)
	}
	e.link(ann.ID, issA, "s-a")
	e.link(ann.ID, issB, "s-b")
	if sub := e.subjectOf(ann.ID, issA); sub != "s-a" {
		t.Errorf("SubjectOf at A = %q; want s-a", sub)
	}
	if sub := e.subjectOf(ann.ID, issB); sub != "s-b" {
		t.Errorf("SubjectOf at B = %q; want s-b", sub)
	}
	if sub := e.subjectOf(ann.ID, "https://c.example.com"); sub != "" {
		t.Errorf("SubjectOf at an issuer without a link = %q; want \"\"", sub)
	}
}
