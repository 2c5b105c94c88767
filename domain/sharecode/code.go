// Package sharecode models share codes: a patient-issued capability that lets one
// viewer (typically a clinician without a Kith account) read chosen parts of the
// record for a short while, and the viewer sessions a redeemed code opens.
package sharecode

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// alphabet is Crockford's base32: digits and letters without I, L, O and U, so a
// code read aloud or copied from paper has no look-alike symbols.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var crockford = base32.NewEncoding(alphabet).WithPadding(base32.NoPadding)

// Symbols is a code's length: 10 symbols of 5 bits, 50 bits from crypto/rand.
const Symbols = 10

// Code is a share code in its canonical form: ten symbols of the alphabet, upper case.
type Code string

// Generate makes a new random code.
func Generate() Code {
	var b [7]byte // 56 bits; the first 50 become the code
	if _, err := rand.Read(b[:]); err != nil {
		panic("sharecode: no randomness: " + err.Error())
	}
	return Code(crockford.EncodeToString(b[:])[:Symbols])
}

// Parse reads a code as a person typed it: case, spaces and hyphens do not matter,
// and the look-alikes O, I and L read as 0, 1 and 1. ok is false for anything that
// cannot be a code.
func Parse(typed string) (Code, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		case !strings.ContainsRune(alphabet, r):
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != Symbols {
		return "", false
	}
	return Code(b.String()), true
}

// String shows the code as people read it: XXXX-XXXX-XX.
func (c Code) String() string {
	if len(c) != Symbols {
		return string(c)
	}
	return string(c[:4]) + "-" + string(c[4:8]) + "-" + string(c[8:])
}

// Hash is the code keyed with the server's secret: all Kith ever stores. Without
// the secret a stolen database does not let anyone try the 2^50 codes offline.
func (c Code) Hash(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(c))
	return hex.EncodeToString(m.Sum(nil))
}
