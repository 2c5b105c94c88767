package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/domain/fault"
)

// The reasons a StrictVerifier gives in fault.AuthError. They are part of the API:
// clients branch on them, so they never change meaning.
const (
	ReasonTooLarge       = "token-too-large"
	ReasonMalformed      = "token-malformed"
	ReasonAlgorithm      = "token-algorithm-refused"
	ReasonUnknownKey     = "token-unknown-key"
	ReasonBadSignature   = "token-bad-signature"
	ReasonWrongIssuer    = "token-wrong-issuer"
	ReasonWrongAudience  = "token-wrong-audience"
	ReasonExpired        = "token-expired"
	ReasonNotYetValid    = "token-not-yet-valid"
	ReasonIssuedInFuture = "token-issued-in-future"
	ReasonClaimsInvalid  = "token-claims-invalid"
)

// StrictConfig says which tokens a StrictVerifier accepts. Zero values take the
// defaults.
type StrictConfig struct {
	// Issuer must equal the token's iss exactly: no trailing-slash leniency.
	Issuer string
	// Audience must be one of the token's aud values.
	Audience string
	// Keys resolves the header's kid.
	Keys KeySource
	// Algorithms allowed in the header. Default RS256, ES256, PS256. Only RS*, PS* and
	// ES* may be listed: "none" and the HMAC family are refused here, so a
	// configuration mistake cannot let a public key be used as an HMAC secret.
	Algorithms []jwa.SignatureAlgorithm
	// MaxSkew is how far the caller's clock may be from ours for exp, nbf and iat.
	// Default 60 s.
	MaxSkew time.Duration
	// Now is our clock. Default time.Now.
	Now func() time.Time
	// MaxTokenBytes refuses longer tokens before any decoding. Default 8 KiB.
	MaxTokenBytes int
}

// StrictVerifier checks access tokens from one OpenID Connect provider (a
// TokenVerifier). It pins the algorithm to the key the kid names and reports every
// refusal as a fault.AuthError with a Reason* slug.
type StrictVerifier struct {
	issuer   string
	audience string
	keys     KeySource
	algs     map[string]keyFit
	skew     time.Duration
	now      func() time.Time
	maxBytes int
}

// keyFit is what a key must be to verify one algorithm.
type keyFit struct {
	alg jwa.SignatureAlgorithm
	kty jwa.KeyType
	crv string // EC curve name; "" for RSA
}

// asymmetricAlgs are the only algorithms a StrictVerifier can be configured with.
var asymmetricAlgs = map[string]keyFit{
	"RS256": {jwa.RS256(), jwa.RSA(), ""},
	"RS384": {jwa.RS384(), jwa.RSA(), ""},
	"RS512": {jwa.RS512(), jwa.RSA(), ""},
	"PS256": {jwa.PS256(), jwa.RSA(), ""},
	"PS384": {jwa.PS384(), jwa.RSA(), ""},
	"PS512": {jwa.PS512(), jwa.RSA(), ""},
	// jwx lets any EC key verify any ES* algorithm; the curve pins it here.
	"ES256": {jwa.ES256(), jwa.EC(), jwa.P256().String()},
	"ES384": {jwa.ES384(), jwa.EC(), jwa.P384().String()},
	"ES512": {jwa.ES512(), jwa.EC(), jwa.P521().String()},
}

const minRSABits = 2048

// NewStrictVerifier checks cfg and builds the verifier.
func NewStrictVerifier(cfg StrictConfig) (*StrictVerifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" || cfg.Keys == nil {
		return nil, errors.New("strict verifier: issuer, audience and keys are required")
	}
	if cfg.MaxSkew < 0 || cfg.MaxTokenBytes < 0 {
		return nil, errors.New("strict verifier: negative skew or size")
	}
	v := &StrictVerifier{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		keys:     cfg.Keys,
		algs:     make(map[string]keyFit),
		skew:     cfg.MaxSkew,
		now:      cfg.Now,
		maxBytes: cfg.MaxTokenBytes,
	}
	if v.skew == 0 {
		v.skew = 60 * time.Second
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxBytes == 0 {
		v.maxBytes = 8 << 10
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = []jwa.SignatureAlgorithm{jwa.RS256(), jwa.ES256(), jwa.PS256()}
	}
	for _, a := range algs {
		fit, ok := asymmetricAlgs[a.String()]
		if !ok {
			return nil, fmt.Errorf("strict verifier: algorithm %q is not allowed", a.String())
		}
		v.algs[a.String()] = fit
	}
	return v, nil
}

// Fixed details for the log. None quotes the token: a token in a log is a session
// anyone with log access can replay.
var (
	errTooLarge        = errors.New("longer than the limit")
	errNotCompact      = errors.New("not a compact JWS of three base64url parts")
	errHeader          = errors.New("protected header is not a JSON object with a string alg")
	errUnsupportedHdr  = errors.New("protected header uses crit or b64, which are not supported")
	errAlgNotAllowed   = errors.New("header alg is not in the allow-list")
	errNoKid           = errors.New("header has no kid")
	errKeyNotForSig    = errors.New("key is not for verifying signatures")
	errKeyAlgMismatch  = errors.New("header alg differs from the key's alg")
	errKeyTypeMismatch = errors.New("key type or curve does not fit the header alg")
	errRSATooSmall     = errors.New("RSA key shorter than 2048 bits")
	errSignature       = errors.New("signature does not verify with the key named by kid")
	errClaimsJSON      = errors.New("claims are not a JSON object of well-typed registered claims")
	errIssuer          = errors.New("iss is not the trusted issuer")
	errAudience        = errors.New("aud does not contain this service")
	errNoExp           = errors.New("exp is missing")
	errExpired         = errors.New("exp has passed")
	errNotYetValid     = errors.New("nbf is in the future")
	errIssuedInFuture  = errors.New("iat is in the future")
	errNoSub           = errors.New("sub is missing")
)

var b64 = base64.RawURLEncoding.Strict()

// Verify checks raw and returns its claims. The signature is proven with the one key
// and algorithm the header names before any claim is read.
func (v *StrictVerifier) Verify(ctx context.Context, raw string) (jwt.Token, error) {
	if len(raw) > v.maxBytes {
		return nil, fault.Unauthenticated(ReasonTooLarge, errTooLarge)
	}
	c, err := decodeCompact(raw)
	if err != nil {
		return nil, fault.Unauthenticated(ReasonMalformed, err)
	}
	alg, kid, err := parseHeader(c.header)
	if err != nil {
		return nil, fault.Unauthenticated(ReasonMalformed, err)
	}
	fit, ok := v.algs[alg]
	if !ok {
		return nil, fault.Unauthenticated(ReasonAlgorithm, errAlgNotAllowed)
	}
	if kid == "" {
		return nil, fault.Unauthenticated(ReasonUnknownKey, errNoKid)
	}
	key, err := v.keys.Key(ctx, kid)
	if err != nil {
		return nil, fault.Unauthenticated(ReasonUnknownKey, err)
	}
	if reason, err := fit.check(key); err != nil {
		return nil, fault.Unauthenticated(reason, err)
	}
	// Verify with exactly this (alg, key) over exactly the bytes decoded above.
	// jws.Verify would parse the header again with its own decoder, a second reading
	// of attacker input that could differ from ours, for a quarter more allocations.
	verifier, err := jws.VerifierFor(fit.alg)
	if err != nil {
		return nil, fault.Unauthenticated(ReasonBadSignature, err)
	}
	if err := verifier.Verify(key, []byte(c.signingInput), c.signature); err != nil {
		return nil, fault.Unauthenticated(ReasonBadSignature, errSignature)
	}
	tok := jwt.New()
	if err := json.Unmarshal(c.payload, tok); err != nil {
		return nil, fault.Unauthenticated(ReasonClaimsInvalid, errClaimsJSON)
	}
	if err := v.checkClaims(tok); err != nil {
		return nil, err
	}
	return tok, nil
}

// compact is a token split and decoded.
type compact struct {
	header, payload, signature []byte
	signingInput               string // the base64url header "." payload, as signed
}

// decodeCompact splits raw into exactly three strictly base64url-encoded parts and
// decodes them. Strictness makes the encoding canonical: with padding bits, newlines
// or the standard alphabet tolerated, one signed token would have many spellings, each
// a different key in any cache or replay list. An empty signature is left for the
// algorithm check to refuse, so "alg":"none" is reported as the algorithm refusal it
// is.
func decodeCompact(raw string) (c compact, err error) {
	for i := 0; i < len(raw); i++ {
		if ch := raw[i]; !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return c, errNotCompact
		}
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return c, errNotCompact
	}
	if c.header, err = b64.DecodeString(parts[0]); err != nil {
		return c, errNotCompact
	}
	if c.payload, err = b64.DecodeString(parts[1]); err != nil {
		return c, errNotCompact
	}
	if c.signature, err = b64.DecodeString(parts[2]); err != nil {
		return c, errNotCompact
	}
	c.signingInput = raw[:len(parts[0])+1+len(parts[1])]
	return c, nil
}

// parseHeader reads alg and kid with exact, case-sensitive names (encoding/json's
// struct decoding would also match "ALG"), refusing extensions we do not implement.
func parseHeader(header []byte) (alg, kid string, err error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(header, &fields); err != nil || fields == nil {
		return "", "", errHeader
	}
	if err := json.Unmarshal(fields["alg"], &alg); err != nil {
		return "", "", errHeader
	}
	if _, ok := fields["crit"]; ok {
		return "", "", errUnsupportedHdr
	}
	if _, ok := fields["b64"]; ok {
		return "", "", errUnsupportedHdr
	}
	if raw, ok := fields["kid"]; ok {
		if err := json.Unmarshal(raw, &kid); err != nil {
			return "", "", errHeader
		}
	}
	return alg, kid, nil
}

// check holds the key to the header's algorithm. jwx alone does not: with a key set
// it verifies with the key's own alg whatever the header says, and with an explicit
// (alg, key) it never looks at the header and lets any EC key verify any ES* alg
// (a P-256 key under ES512 included). Here the header, the key's alg, its type and
// its curve must all agree.
func (f keyFit) check(key jwk.Key) (reason string, err error) {
	// An empty use is no statement, as jwx reads it.
	if use, ok := key.KeyUsage(); ok && use != "" && use != jwk.ForSignature.String() {
		return ReasonUnknownKey, errKeyNotForSig
	}
	if ops, ok := key.KeyOps(); ok && !slices.Contains(ops, jwk.KeyOpVerify) {
		return ReasonUnknownKey, errKeyNotForSig
	}
	if alg, ok := key.Algorithm(); ok && alg.String() != f.alg.String() {
		return ReasonAlgorithm, errKeyAlgMismatch
	}
	if key.KeyType() != f.kty {
		return ReasonAlgorithm, errKeyTypeMismatch
	}
	if f.crv != "" {
		c, ok := key.(interface {
			Crv() (jwa.EllipticCurveAlgorithm, bool)
		})
		if !ok {
			return ReasonAlgorithm, errKeyTypeMismatch
		}
		if crv, ok := c.Crv(); !ok || crv.String() != f.crv {
			return ReasonAlgorithm, errKeyTypeMismatch
		}
	}
	if f.kty == jwa.RSA() {
		r, ok := key.(interface{ N() ([]byte, bool) })
		if !ok {
			return ReasonAlgorithm, errKeyTypeMismatch
		}
		if n, ok := r.N(); !ok || new(big.Int).SetBytes(n).BitLen() < minRSABits {
			return ReasonAlgorithm, errRSATooSmall
		}
	}
	return "", nil
}

// checkClaims applies the registered-claim rules. Issuer and audience come first:
// an expired token from someone else is someone else's token.
func (v *StrictVerifier) checkClaims(tok jwt.Token) error {
	if iss, ok := tok.Issuer(); !ok || iss != v.issuer {
		return fault.Unauthenticated(ReasonWrongIssuer, errIssuer)
	}
	if aud, ok := tok.Audience(); !ok || !slices.Contains(aud, v.audience) {
		return fault.Unauthenticated(ReasonWrongAudience, errAudience)
	}
	now := v.now()
	exp, ok := tok.Expiration()
	if !ok {
		return fault.Unauthenticated(ReasonClaimsInvalid, errNoExp)
	}
	if !exp.After(now.Add(-v.skew)) {
		return fault.Unauthenticated(ReasonExpired, errExpired)
	}
	if nbf, ok := tok.NotBefore(); ok && nbf.After(now.Add(v.skew)) {
		return fault.Unauthenticated(ReasonNotYetValid, errNotYetValid)
	}
	if iat, ok := tok.IssuedAt(); ok && iat.After(now.Add(v.skew)) {
		return fault.Unauthenticated(ReasonIssuedInFuture, errIssuedInFuture)
	}
	if sub, ok := tok.Subject(); !ok || sub == "" {
		return fault.Unauthenticated(ReasonClaimsInvalid, errNoSub)
	}
	return nil
}
