package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/keyring"
)

// verifierSkew is the clock skew verifiers allow on exp (NHS login's 60 s).
const verifierSkew = 60 * time.Second

// claimPractitioner carries the acting practitioner in organisation tokens and in the
// client assertions they are issued for: {"id", "name", "role"}.
const claimPractitioner = "practitioner"

// KithIssuerConfig sets up Kith's own token issuer.
type KithIssuerConfig struct {
	Issuer      string        // iss of the tokens: Kith's public URL
	Audience    string        // aud of the tokens
	TokenTTL    time.Duration // how long an organisation token lives
	RotateAfter time.Duration // how old the signing key gets before a new one is made
	// ReloadEvery is how often the keyring is re-read, to see other nodes' rotations.
	ReloadEvery time.Duration
	Now         func() time.Time
}

// KithIssuer signs Kith's own access tokens (for organisations) with the keyring in
// the store. Rotation goes through the store's compare-and-set, so when two nodes
// find the key due at once exactly one makes the next key and both then use it.
// Private keys are stored as JWKs in the store: protect the store accordingly.
type KithIssuer struct {
	store app.KeyringStore
	cfg   KithIssuerConfig

	mu       sync.RWMutex
	signer   jwk.Key
	public   jwk.Set
	loadedAt time.Time
}

// NewKithIssuer loads the keyring, making or rotating the key if it is due.
func NewKithIssuer(ctx context.Context, store app.KeyringStore, cfg KithIssuerConfig) (*KithIssuer, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	k := &KithIssuer{store: store, cfg: cfg}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// reload reads the keyring, rotates it when due, and swaps in its keys.
func (k *KithIssuer) reload(ctx context.Context) error {
	ring, err := k.store.Keyring(ctx)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return err
	}
	now := k.cfg.Now()
	if ring.Due(now, k.cfg.RotateAfter) {
		if ring, err = k.rotate(ctx, ring, now); err != nil {
			return err
		}
	}
	signer, public, err := parseRing(ring)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.signer, k.public, k.loadedAt = signer, public, now
	k.mu.Unlock()
	return nil
}

func (k *KithIssuer) rotate(ctx context.Context, ring keyring.Keyring, now time.Time) (keyring.Keyring, error) {
	key, err := newSigningKey()
	if err != nil {
		return ring, err
	}
	// Tokens signed by the retiring key live TokenTTL more; keep it published that
	// long, plus the skew verifiers allow.
	saved, err := k.store.SaveKeyring(ctx, ring.Rotate(key, now, k.cfg.TokenTTL+verifierSkew))
	if errors.Is(err, fault.ErrConflict) {
		// Another node rotated first: use its key.
		return k.store.Keyring(ctx)
	}
	return saved, err
}

func newSigningKey() (keyring.Key, error) {
	raw, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyring.Key{}, err
	}
	key, err := jwk.Import(raw)
	if err != nil {
		return keyring.Key{}, err
	}
	id := uuid.NewString()
	if err := key.Set(jwk.KeyIDKey, id); err != nil {
		return keyring.Key{}, err
	}
	if err := key.Set(jwk.AlgorithmKey, jwa.ES256()); err != nil {
		return keyring.Key{}, err
	}
	if err := key.Set(jwk.KeyUsageKey, "sig"); err != nil {
		return keyring.Key{}, err
	}
	private, err := json.Marshal(key)
	if err != nil {
		return keyring.Key{}, err
	}
	return keyring.Key{ID: id, PrivateJWK: private}, nil
}

func parseRing(ring keyring.Keyring) (jwk.Key, jwk.Set, error) {
	public := jwk.NewSet()
	var signer jwk.Key
	for i, k := range ring.Keys {
		private, err := jwk.ParseKey(k.PrivateJWK)
		if err != nil {
			return nil, nil, fmt.Errorf("keyring key %s: %w", k.ID, err)
		}
		if i == 0 {
			signer = private
		}
		pub, err := jwk.PublicKeyOf(private)
		if err != nil {
			return nil, nil, err
		}
		if err := public.AddKey(pub); err != nil {
			return nil, nil, err
		}
	}
	if signer == nil {
		return nil, nil, errors.New("keyring is empty")
	}
	return signer, public, nil
}

// fresh reloads the keyring when it was last read more than ReloadEvery ago, so a
// rotation made by another node is picked up.
func (k *KithIssuer) fresh(ctx context.Context) error {
	k.mu.RLock()
	stale := k.cfg.Now().Sub(k.loadedAt) > k.cfg.ReloadEvery
	k.mu.RUnlock()
	if !stale {
		return nil
	}
	return k.reload(ctx)
}

// SignOrganisationToken implements app.TokenSigner.
func (k *KithIssuer) SignOrganisationToken(ctx context.Context, odsCode string, p identity.Practitioner) (string, time.Duration, error) {
	if err := k.fresh(ctx); err != nil {
		return "", 0, err
	}
	now := k.cfg.Now()
	tok, err := jwt.NewBuilder().
		Issuer(k.cfg.Issuer).
		Subject(odsCode).
		Audience([]string{k.cfg.Audience}).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(k.cfg.TokenTTL)).
		JwtID(uuid.NewString()).
		Claim(claimPractitioner, map[string]string{"id": p.ID, "name": p.Name, "role": p.Role}).
		Build()
	if err != nil {
		return "", 0, err
	}
	k.mu.RLock()
	signer := k.signer
	k.mu.RUnlock()
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256(), signer))
	if err != nil {
		return "", 0, err
	}
	return string(signed), k.cfg.TokenTTL, nil
}

// PublicJWKS implements httpapi.KeyPublisher: every key whose tokens may still be alive.
func (k *KithIssuer) PublicJWKS(ctx context.Context) ([]byte, error) {
	if err := k.fresh(ctx); err != nil {
		return nil, err
	}
	return json.Marshal(k.Keys())
}

// Keys is the current public key set, for verifying Kith's own tokens.
func (k *KithIssuer) Keys() jwk.Set {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.public
}

// Key implements KeySource for Kith's own tokens. An unknown kid may be a key another
// node just made: the keyring is re-read, at most once per ReloadEvery.
func (k *KithIssuer) Key(ctx context.Context, kid string) (jwk.Key, error) {
	if key, ok := k.Keys().LookupKeyID(kid); ok {
		return key, nil
	}
	if err := k.fresh(ctx); err != nil {
		return nil, err
	}
	if key, ok := k.Keys().LookupKeyID(kid); ok {
		return key, nil
	}
	return nil, ErrKeyNotFound
}
