package patient

import (
	"crypto/sha256"
	"encoding/hex"
)

// IDFor is the account id of the person an identity provider knows as subject: a
// UUID (version 8) from a hash of (issuer, subject). Deriving it makes "one account
// per person" the uniqueness of one id, which a sharded store can enforce on its shard
// key, and lets a login find its account by id without a secondary index.
func IDFor(issuer, subject string) string {
	sum := sha256.Sum256([]byte(issuer + "\x00" + subject))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8: custom
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
