package events

import (
	"context"
	"errors"
	"testing"
)

func TestWithRef(t *testing.T) {
	base := errors.New("rp: no login in progress for this state")
	err := WithRef(base)
	ref := Ref(err)
	if len(ref) != 8 || !errors.Is(err, base) || Unref(err) != base {
		t.Fatalf("WithRef: ref %q, Is %v, Unref %v", ref, errors.Is(err, base), Unref(err))
	}
	if again := WithRef(err); Ref(again) != ref {
		t.Errorf("a second WithRef changed the reference to %q", Ref(again))
	}
	if err.Error() != base.Error()+" (ref "+ref+")" {
		t.Errorf("Error() = %q", err.Error())
	}
	if WithRef(nil) != nil || Ref(base) != "" || Unref(base) != base {
		t.Error("WithRef(nil), Ref or Unref of a plain error misbehave")
	}
	if Ref(WithRef(base)) == ref {
		t.Error("two references of two failures are equal")
	}
}

func TestCallerLogs(t *testing.T) {
	ctx := context.Background()
	if IsCallerLogging(ctx) || !IsCallerLogging(CallerLogs(ctx)) {
		t.Fatal("CallerLogs does not mark the context")
	}
}
