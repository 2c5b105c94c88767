package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// WriteClientKey writes a new ES384 private key, as a JWK with a key id, to path
// (readable by its owner only): the key a Kith signs its client assertions to a
// sandbox with. A sandbox without ClientKeys accepts any; a real exchange is given
// the public half of a key an operator made.
func WriteClientKey(path, keyID string) error {
	raw, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return err
	}
	key, err := jwk.Import(raw)
	if err != nil {
		return err
	}
	if err := key.Set(jwk.KeyIDKey, keyID); err != nil {
		return err
	}
	b, err := json.Marshal(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("writing the client key: %w", err)
	}
	return nil
}
