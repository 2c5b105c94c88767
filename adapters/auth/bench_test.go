package auth_test

import (
	"context"
	"testing"

	"github.com/kith-health/kith/adapters/auth"
)

// BenchmarkVerifyES256 is a full verification per op: split, header, key lookup,
// signature, claims. No cache.
func BenchmarkVerifyES256(b *testing.B) {
	benchVerify(b, func() testKey { return ecKey })
}

// BenchmarkVerifyRS256 is the same with a 2048-bit RSA key, for comparison.
func BenchmarkVerifyRS256(b *testing.B) {
	benchVerify(b, func() testKey { return rsaKey })
}

func benchVerify(b *testing.B, key func() testKey) {
	keys(b)
	v := staticVerifier(b, allKeys(b))
	raw := signed(b, key(), nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCached is the TokenCache hit path that stands in for a
// verification when a client sends the same token again.
func BenchmarkVerifyCached(b *testing.B) {
	keys(b)
	v := staticVerifier(b, allKeys(b))
	raw := signed(b, ecKey, nil)
	tok, err := v.Verify(context.Background(), raw)
	if err != nil {
		b.Fatal(err)
	}
	c, err := auth.NewTokenCache[string](1024)
	if err != nil {
		b.Fatal(err)
	}
	c.Put(raw, tok, "principal")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Get(raw, testNow); !ok {
			b.Fatal("miss")
		}
	}
}
