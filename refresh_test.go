package rp

import (
	"errors"
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

func TestRefreshErrorSaysRefresh(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	_, _, err := h.rp.refreshTokens(t.Context(), "not-a-refresh-token", map[string]any{"sub": "alice-sub"})
	var te *TokenError
	if !errors.As(err, &te) || !te.Refresh || te.Code != "invalid_grant" || !strings.HasPrefix(err.Error(), "rp: token refresh failed") {
		t.Fatalf("refresh with a bad token = %v; want a refresh TokenError invalid_grant", err)
	}
}
