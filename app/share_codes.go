package app

import (
	"crypto/rand"
	"errors"
	"time"
)

// ShareCodeSettings configure share codes.
type ShareCodeSettings struct {
	// Secret keys the hash of every code; without it a stolen database cannot be
	// searched for codes. At least 32 bytes.
	Secret []byte
	// AttemptLimit redemptions are allowed per client address, and per viewer
	// name, in each AttemptWindow; beyond it, 429 until the window ends.
	AttemptLimit  int
	AttemptWindow time.Duration
}

// DefaultShareCodeSettings: ten attempts a minute.
var DefaultShareCodeSettings = ShareCodeSettings{AttemptLimit: 10, AttemptWindow: time.Minute}

// WithShareCodes enables share codes with these settings.
func WithShareCodes(s ShareCodeSettings) Option {
	return func(a *App) { a.shares = s }
}

// errNoShareCodes is what share-code use cases answer in a deployment without a secret.
var errNoShareCodes = errors.New("share codes are not configured: no secret")

// NewShareCodeSecret makes a random secret, for development.
func NewShareCodeSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}
