package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/domain/patient"
)

// DevIssuerKeyFile holds the development issuer's private key in the data directory,
// so tokens it signed survive a restart.
const DevIssuerKeyFile = "dev-issuer-key.json"

// DevIssuer signs patient tokens in development mode. Production refuses to run it.
type DevIssuer struct {
	key      jwk.Key
	public   jwk.Set
	issuer   string
	audience string
	now      func() time.Time
}

// LoadDevIssuer reads the key in dataDir, creating one on first use.
func LoadDevIssuer(dataDir, issuer, audience string, now func() time.Time) (*DevIssuer, error) {
	path := filepath.Join(dataDir, DevIssuerKeyFile)
	key, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("development issuer key %s: %w", path, err)
	}
	pub, err := jwk.PublicKeyOf(key)
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, err
	}
	return &DevIssuer{key: key, public: set, issuer: issuer, audience: audience, now: now}, nil
}

func readKey(path string) (jwk.Key, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return jwk.ParseKey(raw)
}

func createKey(path string) (jwk.Key, error) {
	raw, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	key, err := jwk.Import(raw)
	if err != nil {
		return nil, err
	}
	if err := jwk.AssignKeyID(key); err != nil {
		return nil, err
	}
	if err := key.Set(jwk.AlgorithmKey, jwa.ES256()); err != nil {
		return nil, err
	}
	data, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	// O_EXCL: if two processes start at once, one writes and the other reads.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKey(path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

// Keys is the issuer's public key set, for the verifier.
func (d *DevIssuer) Keys() jwk.Set { return d.public }

// Issuer is the iss its tokens carry.
func (d *DevIssuer) Issuer() string { return d.issuer }

// Issue signs an access token for the patient, valid for ttl.
func (d *DevIssuer) Issue(c patient.Claims, ttl time.Duration) (string, error) {
	now := d.now()
	b := jwt.NewBuilder().
		Issuer(d.issuer).
		Subject(c.Subject).
		Audience([]string{d.audience}).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(ttl)).
		Claim(claimProofing, string(c.Proofing))
	if c.NHSNumber != "" {
		b = b.Claim(claimNHSNumber, c.NHSNumber.Value())
	}
	if c.BirthDate != "" {
		b = b.Claim(claimBirthDate, c.BirthDate.Value())
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256(), d.key))
	if err != nil {
		return "", err
	}
	return string(signed), nil
}
