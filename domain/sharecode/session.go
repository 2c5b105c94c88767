package sharecode

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// SessionLength is how long a redeemed code lets its viewer read, at most: the
// code's own expiry comes first when it is sooner.
const SessionLength = 15 * time.Minute

// TokenPrefix marks viewer session tokens, so they are told from JWTs at a glance.
const TokenPrefix = "kith_vs_"

// Session is a viewer's reading session, opened by redeeming a code.
type Session struct {
	ID, TokenHash     string
	CodeID, PatientID string
	ViewerName        string
	ViewerRole        string
	Organisation      string // set when organisation staff redeemed it
	Label             string // the code's label, for the access log
	CreatedAt         time.Time
	ExpiresAt         time.Time
	EndedAt           time.Time // zero until the viewer finishes
}

// Viewer is who redeems: a name and role (recorded in the access log).
type Viewer struct {
	Name, Role string
}

// Check requires a name and a role, each up to 100 characters.
func (v Viewer) Check() (Viewer, error) {
	v.Name, v.Role = strings.TrimSpace(v.Name), strings.TrimSpace(v.Role)
	switch {
	case v.Name == "" || len(v.Name) > 100:
		return Viewer{}, fault.Invalid("viewerName", "required,max=100")
	case v.Role == "" || len(v.Role) > 100:
		return Viewer{}, fault.Invalid("viewerRole", "required,max=100")
	}
	return v, nil
}

// NewToken makes a session token (256 bits from crypto/rand) and the hash that is
// all Kith stores of it.
func NewToken() (token, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sharecode: no randomness: " + err.Error())
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, TokenHash(token)
}

// TokenHash is the stored form of a session token. The token has 256 bits of
// entropy, so a plain hash is enough: nothing can be guessed from it.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Open starts a session for a redeemed code.
func Open(id, tokenHash string, c ShareCode, v Viewer, organisation string, now time.Time) Session {
	now = now.UTC().Truncate(time.Millisecond)
	end := now.Add(SessionLength)
	if c.ExpiresAt.Before(end) {
		end = c.ExpiresAt
	}
	return Session{ID: id, TokenHash: tokenHash, CodeID: c.ID, PatientID: c.PatientID, ViewerName: v.Name,
		ViewerRole: v.Role, Organisation: organisation, Label: c.Label, CreatedAt: now, ExpiresAt: end}
}

// LiveAt reports whether the session may still read at now.
func (s Session) LiveAt(now time.Time) bool {
	return s.EndedAt.IsZero() && now.Before(s.ExpiresAt)
}
