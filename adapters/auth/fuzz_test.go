package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kith-health/kith/adapters/auth"
	"github.com/kith-health/kith/domain/fault"
)

var reasons = map[string]bool{
	auth.ReasonTooLarge: true, auth.ReasonMalformed: true, auth.ReasonAlgorithm: true,
	auth.ReasonUnknownKey: true, auth.ReasonBadSignature: true, auth.ReasonWrongIssuer: true,
	auth.ReasonWrongAudience: true, auth.ReasonExpired: true, auth.ReasonNotYetValid: true,
	auth.ReasonIssuedInFuture: true, auth.ReasonClaimsInvalid: true,
}

// FuzzVerify feeds the verifier arbitrary strings. It must never panic, must refuse
// with a known reason, and must accept only the tokens the test keys actually signed:
// any other accepted string would be a forgery or a second spelling of a token.
func FuzzVerify(f *testing.F) {
	keys(f)
	v := staticVerifier(f, allKeys(f))
	valid := map[string]bool{}
	for _, k := range []testKey{ecKey, rsaKey, psKey} {
		raw := signed(f, k, nil)
		valid[raw] = true
		f.Add(raw)
		for _, cut := range []int{1, 2, 10, len(raw) / 2} {
			f.Add(raw[:len(raw)-cut])
		}
		parts := strings.Split(raw, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + "." + parts[1])
		f.Add(raw + "." + parts[2])
	}
	hdr := func(alg, kid string) map[string]any { return map[string]any{"alg": alg, "kid": kid} }
	f.Add(forge(f, hdr("none", "ec-1"), claims(), nil))
	f.Add(forge(f, hdr("HS256", "rsa-1"), claims(), []byte("secret")))
	f.Add(forge(f, hdr("ES384", "ec-1"), claims(), ecKey.priv))
	f.Add(forge(f, hdr("ES256", "ec-1"), claims(), ecForger))
	for _, junk := range []string{"", ".", "..", "...", "a.b.c", "eyJ.eyJ.", "!!!.@@@.###", "\x00", "\xff\xfe", strings.Repeat("A", 9000)} {
		f.Add(junk)
	}

	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := v.Verify(context.Background(), raw)
		if err == nil {
			if !valid[raw] || tok == nil {
				t.Fatalf("accepted a string no test key signed: %q", raw)
			}
			return
		}
		var ae *fault.AuthError
		if !errors.As(err, &ae) || !reasons[ae.Reason] {
			t.Fatalf("err = %v; want an AuthError with a known reason", err)
		}
		// Error texts are short and fixed; a long input found in one was echoed.
		if len(raw) > 120 && strings.Contains(err.Error(), raw) {
			t.Fatalf("error text quotes the input")
		}
	})
}
