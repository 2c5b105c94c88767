// Package keyring models Kith's own signing keys: the newest signs, older ones stay
// published until every token they signed has expired, and rotation is a pure
// decision that a store applies with compare-and-set, so two nodes never both rotate.
package keyring

import "time"

// Key is one signing key; PrivateJWK is its private key as a JSON Web Key.
type Key struct {
	ID         string
	PrivateJWK []byte
	CreatedAt  time.Time
}

// Keyring holds the keys, newest first.
type Keyring struct {
	Keys []Key
	// Version increases by one on every stored change; stores compare-and-set on it.
	Version int64
}

// Active is the key that signs now. ok is false for an empty keyring.
func (k Keyring) Active() (Key, bool) {
	if len(k.Keys) == 0 {
		return Key{}, false
	}
	return k.Keys[0], true
}

// Due reports whether the active key is older than rotateAfter (or there is none).
func (k Keyring) Due(now time.Time, rotateAfter time.Duration) bool {
	active, ok := k.Active()
	return !ok || now.Sub(active.CreatedAt) >= rotateAfter
}

// Rotate puts key first and drops keys retired for longer than keep: a key retires
// when its successor is created, and tokens it signed live at most keep after that.
func (k Keyring) Rotate(key Key, now time.Time, keep time.Duration) Keyring {
	key.CreatedAt = now.UTC().Truncate(time.Millisecond)
	next := Keyring{Keys: []Key{key}, Version: k.Version}
	retiredAt := key.CreatedAt
	for _, old := range k.Keys {
		if now.Sub(retiredAt) > keep {
			break
		}
		next.Keys = append(next.Keys, old)
		retiredAt = old.CreatedAt
	}
	return next
}
