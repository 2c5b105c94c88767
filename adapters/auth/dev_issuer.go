package auth

import (
	"context"
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

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/patient"
)

// DevIssuerKeyFile holds the development issuer's private key in the data directory,
// so tokens it signed survive a restart.
const DevIssuerKeyFile = "dev-issuer-key.json"

// The development issuer signs as two issuers: one for patients, one for operators,
// as a deployment would have an identity provider for each.
const (
	DevPatientIssuer  = app.DemoIssuer
	DevOperatorIssuer = app.DemoIssuer + ":operators"
	DevOperatorSub    = "demo-operator"
)

// DevIssuer signs tokens in development mode: patients and operators with its own
// key, organisations through Kith's real issuer (as the token endpoint would after a
// client assertion). Production refuses to run it.
type DevIssuer struct {
	key      jwk.Key
	public   jwk.Set
	audience string
	orgs     app.TokenSigner
	now      func() time.Time
}

// LoadDevIssuer reads the key in dataDir, creating one on first use.
func LoadDevIssuer(dataDir, audience string, orgs app.TokenSigner, now func() time.Time) (*DevIssuer, error) {
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
	return &DevIssuer{key: key, public: set, audience: audience, orgs: orgs, now: now}, nil
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

// TokenAs implements httpapi.DevIssuer.
func (d *DevIssuer) TokenAs(ctx context.Context, who app.DemoPrincipal, ttl time.Duration) (string, time.Duration, error) {
	switch who.Kind {
	case "organisation":
		return d.orgs.SignOrganisationToken(ctx, who.ODSCode, who.Acting)
	case "operator":
		tok, err := d.sign(d.builder(DevOperatorIssuer, DevOperatorSub, ttl))
		return tok, ttl, err
	default:
		tok, err := d.PatientToken(who.Patient, ttl)
		return tok, ttl, err
	}
}

// PatientToken implements httpapi.DevIssuer: a token as NHS login would issue it.
func (d *DevIssuer) PatientToken(c patient.Claims, ttl time.Duration) (string, error) {
	b := d.builder(DevPatientIssuer, c.Subject, ttl).Claim(claimProofing, string(c.Proofing))
	if c.NHSNumber != "" {
		b = b.Claim(claimNHSNumber, c.NHSNumber.Value())
	}
	if c.BirthDate != "" {
		b = b.Claim(claimBirthDate, c.BirthDate.Value())
	}
	if c.Name.Given != "" {
		b = b.Claim(claimGivenName, c.Name.Given)
	}
	if c.Name.Family != "" {
		b = b.Claim(claimFamilyName, c.Name.Family)
	}
	return d.sign(b)
}

func (d *DevIssuer) builder(issuer, subject string, ttl time.Duration) *jwt.Builder {
	now := d.now()
	return jwt.NewBuilder().Issuer(issuer).Subject(subject).Audience([]string{d.audience}).
		IssuedAt(now).NotBefore(now).Expiration(now.Add(ttl))
}

func (d *DevIssuer) sign(b *jwt.Builder) (string, error) {
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
