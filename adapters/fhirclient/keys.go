package fhirclient

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// keyFiles reads each key file once: keys change by re-registering the exchange
// with a new path, and a pull must not touch the disk per token.
type keyFiles struct {
	mu   sync.Mutex
	keys map[string]jwk.Key
}

func newKeyFiles() *keyFiles { return &keyFiles{keys: map[string]jwk.Key{}} }

// load reads a JWK (JSON) or PEM private key. A failure is not kept, so a file
// put right is read on the next try.
func (k *keyFiles) load(path string) (jwk.Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[path]; ok {
		return key, nil
	}
	key, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	k.keys[path] = key
	return key, nil
}

func readKeyFile(path string) (jwk.Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the exchange key: %w", err)
	}
	data = bytes.TrimSpace(data)
	var key jwk.Key
	if bytes.HasPrefix(data, []byte("-----BEGIN")) {
		key, err = jwk.ParseKey(data, jwk.WithPEM(true))
	} else {
		key, err = jwk.ParseKey(data)
	}
	if err != nil {
		// The parser's words only: never the file's contents.
		return nil, fmt.Errorf("key file %s is neither a JWK nor a PEM private key", path)
	}
	return key, nil
}

// signingKey is the key at path with the algorithm SMART Backend Services pairs
// with it (ES384 for P-384, RS384 for RSA) and the kid the exchange knows it by: the
// key's own, else its RFC 7638 thumbprint (a PEM file carries no kid).
func (c *Client) signingKey(path string) (jwk.Key, jwa.SignatureAlgorithm, string, error) {
	if path == "" {
		return nil, jwa.EmptySignatureAlgorithm(), "", errors.New("the exchange has no key file registered")
	}
	key, err := c.loadKey(path)
	if err != nil {
		return nil, jwa.EmptySignatureAlgorithm(), "", err
	}
	if private, err := jwk.IsPrivateKey(key); err != nil || !private {
		return nil, jwa.EmptySignatureAlgorithm(), "", fmt.Errorf("key file %s holds no private key", path)
	}
	var alg jwa.SignatureAlgorithm
	switch k := key.(type) {
	case jwk.ECDSAPrivateKey:
		crv, _ := k.Crv()
		if crv.String() != jwa.P384().String() {
			return nil, jwa.EmptySignatureAlgorithm(), "", fmt.Errorf("key file %s holds an EC key on %s: SMART Backend Services takes P-384 (ES384) or RSA (RS384)", path, crv)
		}
		alg = jwa.ES384()
	case jwk.RSAPrivateKey:
		alg = jwa.RS384()
	default:
		return nil, jwa.EmptySignatureAlgorithm(), "", fmt.Errorf("key file %s holds a %s key: SMART Backend Services takes P-384 (ES384) or RSA (RS384)", path, key.KeyType())
	}
	if kid, ok := key.KeyID(); ok && kid != "" {
		return key, alg, kid, nil
	}
	// Computed on a copy: the key may be shared with other callers.
	pub, err := jwk.PublicKeyOf(key)
	if err != nil {
		return nil, jwa.EmptySignatureAlgorithm(), "", fmt.Errorf("key file %s: %w", path, err)
	}
	if err := jwk.AssignKeyID(pub); err != nil {
		return nil, jwa.EmptySignatureAlgorithm(), "", fmt.Errorf("key file %s: %w", path, err)
	}
	kid, _ := pub.KeyID()
	return key, alg, kid, nil
}
