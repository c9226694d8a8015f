package userstoretest

import (
	"testing"

	"github.com/oidcrp/rp"
)

func testLinkSubject(t *testing.T, e *env) {
	ann := e.seed(rp.User{Username: "ann", Email: "ann@example.com"})
	bob := e.seed(rp.User{Username: "bob"})
	e.link(ann.ID, issA, "s1")
	e.bySubject(issA, "s1", ann.ID)
	// Linking the same pair again succeeds and changes nothing.
	e.link(ann.ID, issA, "s1")
	e.bySubject(issA, "s1", ann.ID)
	// A second subject for the user at the issuer is refused.
	err := e.store.LinkSubject(e.ctx(), ann.ID, issA, "s2")
	wantErr(t, "LinkSubject of a second subject at one issuer", err, rp.ErrSubjectConflict)
	u, err := e.store.UserBySubject(e.ctx(), issA, "s2")
	notFound(t, "UserBySubject of the refused subject", u, err)
	if sub := e.subjectOf(ann.ID, issA); sub != "s1" {
		t.Fatalf("SubjectOf after a refused link = %q; want s1", sub)
	}
	// The subject of one user is refused for another.
	err = e.store.LinkSubject(e.ctx(), bob.ID, issA, "s1")
	wantErr(t, "LinkSubject of another user's subject", err, rp.ErrSubjectConflict)
	e.bySubject(issA, "s1", ann.ID)
	if sub := e.subjectOf(bob.ID, issA); sub != "" {
		t.Fatalf("SubjectOf the refused user = %q; want \"\"", sub)
	}
	// The same subject at another issuer is another identity.
	e.link(bob.ID, issB, "s1")
	e.bySubject(issB, "s1", bob.ID)
	e.bySubject(issA, "s1", ann.ID)
	// An unknown user links nothing.
	err = e.store.LinkSubject(e.ctx(), "no-such-user", issA, "s3")
	wantErr(t, "LinkSubject of an unknown user", err, rp.ErrUserNotFound)
	u, err = e.store.UserBySubject(e.ctx(), issA, "s3")
	notFound(t, "UserBySubject after linking an unknown user", u, err)
}

func testCreateUserConflicts(t *testing.T, e *env) {
	ann := e.create(rp.User{Username: "Ann", Email: "ann@example.com"}, issA, "s1")
	// The subject is linked already: nothing is created.
	_, err := e.store.CreateUser(e.ctx(), &rp.User{Username: "fresh"}, issA, "s1")
	wantErr(t, "CreateUser with a linked subject", err, rp.ErrSubjectConflict)
	u, err := e.store.UserByUsername(e.ctx(), "fresh")
	notFound(t, "UserByUsername of the refused account", u, err)
	e.bySubject(issA, "s1", ann.ID)
	// A linked subject wins over a taken username: it is how the second
	// of two first logins of one person fails.
	_, err = e.store.CreateUser(e.ctx(), &rp.User{Username: "ANN", Email: "ann@example.com"}, issA, "s1")
	wantErr(t, "CreateUser with a linked subject and a taken username", err, rp.ErrSubjectConflict)
	// A username or email taken by SameIdentifier: nothing is created,
	// the subject is not linked.
	for _, c := range []struct {
		what string
		u    rp.User
	}{
		{"a taken username", rp.User{Username: "ANN", Email: "other@example.com"}},
		{"a taken email", rp.User{Username: "other", Email: "ANN@EXAMPLE.COM"}},
		{"a taken username in other case", rp.User{Username: "aNN", Email: "x@example.com"}},
	} {
		_, err := e.store.CreateUser(e.ctx(), &c.u, issA, "s2")
		wantErr(t, "CreateUser with "+c.what, err, rp.ErrUserExists)
		u, err := e.store.UserBySubject(e.ctx(), issA, "s2")
		notFound(t, "UserBySubject after CreateUser with "+c.what, u, err)
	}
	for _, v := range []string{"other", "x@example.com"} {
		u, err := e.store.UserByUsername(e.ctx(), v)
		notFound(t, "UserByUsername("+v+") of a refused account", u, err)
		u, err = e.store.UserByEmail(e.ctx(), v)
		notFound(t, "UserByEmail("+v+") of a refused account", u, err)
	}
	// A username that is another account's email is not taken.
	mail := e.create(rp.User{Username: "ann@example.com"}, issA, "s3")
	e.byUsername("ann@example.com", mail.ID)
	e.byEmail("ann@example.com", ann.ID)
	// The refused subject is still free.
	e.create(rp.User{Username: "finally"}, issA, "s2")
}

func testUpdateUser(t *testing.T, e *env) {
	in := full("ann")
	in.Admin = true
	ann := e.seed(in)
	e.link(ann.ID, issA, "s1")
	edit := ann
	edit.Username = "mallory"
	edit.Admin = false
	edit.Email = "ann.new@example.com"
	edit.Name, edit.GivenName, edit.FamilyName, edit.PhoneNumber = "Ann New", "Anne", "Neu", "+1 555 0199"
	edit.Groups = []string{"readers"}
	edit.Attributes = map[string]string{"department": "Ops"}
	if err := e.store.UpdateUser(e.ctx(), &edit); err != nil {
		t.Fatalf("UpdateUser = %v", err)
	}
	want := edit
	want.Username, want.Admin = ann.Username, true
	sameUser(t, "after UpdateUser (Username and Admin kept)", e.bySubject(issA, "s1", ann.ID), &want)
	sameUser(t, "UserByEmail of the new email", e.byEmail("ANN.NEW@example.com", ann.ID), &want)
	e.byUsername("ann", ann.ID)
	u, err := e.store.UserByEmail(e.ctx(), "ann@example.com")
	notFound(t, "UserByEmail of the old email", u, err)
	u, err = e.store.UserByUsername(e.ctx(), "mallory")
	notFound(t, "UserByUsername of the refused new username", u, err)
	// Groups and attributes are replaced, and may be cleared.
	edit = want
	edit.Groups, edit.Attributes = nil, nil
	if err := e.store.UpdateUser(e.ctx(), &edit); err != nil {
		t.Fatalf("UpdateUser clearing groups = %v", err)
	}
	sameUser(t, "after clearing groups and attributes", e.bySubject(issA, "s1", ann.ID), &edit)
	if sub := e.subjectOf(ann.ID, issA); sub != "s1" {
		t.Fatalf("SubjectOf after UpdateUser = %q; want s1", sub)
	}
	// An unknown ID updates nothing.
	ghost := full("ghost")
	ghost.ID = "no-such-user"
	wantErr(t, "UpdateUser of an unknown user", e.store.UpdateUser(e.ctx(), &ghost), rp.ErrUserNotFound)
	u, err = e.store.UserByUsername(e.ctx(), "ghost")
	notFound(t, "UserByUsername after updating an unknown user", u, err)
}

func testCopies(t *testing.T, e *env) {
	in := full("ann")
	created := e.create(in, issA, "s1")
	want := full("ann")
	want.ID = created.ID
	// Changing what was passed in or handed out changes nothing stored.
	in.Groups[0], in.Attributes["department"] = "changed", "changed"
	created.Groups[0], created.Attributes["department"] = "changed", "changed"
	got := e.bySubject(issA, "s1", want.ID)
	sameUser(t, "after changing CreateUser's argument and result", got, &want)
	got.Groups[1], got.Attributes["employee_id"] = "changed", "changed"
	got.Name = "changed"
	sameUser(t, "after changing a lookup's result", e.byUsername("ann", want.ID), &want)
	sameUser(t, "after changing a lookup's result", e.byEmail("ann@example.com", want.ID), &want)
	edit := want
	edit.Groups = []string{"x", "y"}
	edit.Attributes = map[string]string{"k": "v"}
	if err := e.store.UpdateUser(e.ctx(), &edit); err != nil {
		t.Fatal(err)
	}
	saved := edit
	saved.Groups, saved.Attributes = []string{"x", "y"}, map[string]string{"k": "v"}
	edit.Groups[0], edit.Attributes["k"] = "changed", "changed"
	sameUser(t, "after changing UpdateUser's argument", e.bySubject(issA, "s1", want.ID), &saved)
}
