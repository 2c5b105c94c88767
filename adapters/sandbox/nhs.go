package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/kith-health/kith/domain/patient"
)

// derivedNHSNumber gives a Patient that has none a number in the 999 range, which
// the NHS never issues, derived from its id so every load gives the same one, and
// never one that taken says is in use. Its check digit is the one the domain's
// check accepts: the rule lives in domain/patient only.
func derivedNHSNumber(id string, taken func(string) bool) string {
	for attempt := 0; ; attempt++ {
		h := sha256.Sum256(fmt.Appendf(nil, "%s#%d", id, attempt))
		stem := fmt.Sprintf("999%06d", binary.BigEndian.Uint64(h[:8])%1_000_000)
		for check := 0; check <= 9; check++ {
			n := fmt.Sprintf("%s%d", stem, check)
			if _, err := patient.ParseNHSNumber(n); err == nil && !taken(n) {
				return n
			}
		}
		// No digit fits (the check would be 10), or the number is taken: next stem.
	}
}

// newID is a random version 4 UUID from the content stream: ids the sandbox assigns
// are the same on every run with the same seed. The caller holds s.mu.
func (s *Sandbox) newID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.content.Uint64())
	binary.BigEndian.PutUint64(b[8:], s.content.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
