package auth

import (
	"container/list"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
)

// TokenCacheMaxLifetime is the longest-lived token (exp - iat) a TokenCache keeps.
// Bounding it is what lets a revocation record be forgotten: once this long has
// passed since a revocation, every token it covers has expired.
const TokenCacheMaxLifetime = 24 * time.Hour

// revocationMargin covers callers whose clocks differ a little, so a record is not
// dropped while one of them could still call a covered token live.
const revocationMargin = 5 * time.Minute

// TokenCache remembers what verifying a token produced (a principal, say) until the
// token expires, so a client sending the same token on every request pays for one
// signature check. It is a bounded LRU keyed by the token's SHA-256, so the cache
// never holds a usable credential. A small list and map instead of an LRU library: the
// revocation rules need to see entries, and the code is short.
type TokenCache[V any] struct {
	mu      sync.Mutex
	size    int
	order   *list.List // of *cacheEntry[V], most recently used first
	entries map[[sha256.Size]byte]*list.Element
	// revoked maps a subject to the time before which its tokens no longer count.
	revoked   map[string]time.Time
	lastPrune time.Time
}

type cacheEntry[V any] struct {
	key   [sha256.Size]byte
	sub   string
	iat   time.Time
	exp   time.Time
	value V
}

// NewTokenCache holds at most size tokens.
func NewTokenCache[V any](size int) (*TokenCache[V], error) {
	if size < 1 {
		return nil, errors.New("token cache: size must be at least 1")
	}
	return &TokenCache[V]{
		size:    size,
		order:   list.New(),
		entries: make(map[[sha256.Size]byte]*list.Element, size),
		revoked: make(map[string]time.Time),
	}, nil
}

// Put remembers v for the verified token raw. Tokens without sub, iat or exp, living
// longer than TokenCacheMaxLifetime, or issued before their subject's revocation are
// not kept: they are simply verified every time.
func (c *TokenCache[V]) Put(raw string, tok jwt.Token, v V) {
	sub, okSub := tok.Subject()
	iat, okIat := tok.IssuedAt()
	exp, okExp := tok.Expiration()
	if !okSub || !okIat || !okExp || exp.Sub(iat) > TokenCacheMaxLifetime {
		return
	}
	key := sha256.Sum256([]byte(raw))
	c.mu.Lock()
	defer c.mu.Unlock()
	if at, ok := c.revoked[sub]; ok && iat.Before(at) {
		return
	}
	if el, ok := c.entries[key]; ok {
		el.Value.(*cacheEntry[V]).value = v
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry[V]{key: key, sub: sub, iat: iat, exp: exp, value: v})
	if c.order.Len() > c.size {
		c.remove(c.order.Back())
	}
}

// Get returns what was stored for raw while now is before the token's exp and its
// subject has not been revoked since the token was issued.
func (c *TokenCache[V]) Get(raw string, now time.Time) (V, bool) {
	var zero V
	key := sha256.Sum256([]byte(raw))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pruneRevocations(now)
	el, ok := c.entries[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*cacheEntry[V])
	if !now.Before(e.exp) {
		c.remove(el)
		return zero, false
	}
	if at, ok := c.revoked[e.sub]; ok && e.iat.Before(at) {
		c.remove(el)
		return zero, false
	}
	c.order.MoveToFront(el)
	return e.value, true
}

// RevokeSubject makes every token of subject issued before at miss from now on, and
// refuses to store such tokens later, so a revocation (sign out everywhere, account
// closed) is never outlived by the cache.
func (c *TokenCache[V]) RevokeSubject(subject string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.revoked[subject]; !ok || at.After(prev) {
		c.revoked[subject] = at
	}
}

// Len is the number of tokens held, expired or revoked ones included until they are
// next looked up or evicted.
func (c *TokenCache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *TokenCache[V]) remove(el *list.Element) {
	delete(c.entries, el.Value.(*cacheEntry[V]).key)
	c.order.Remove(el)
}

// pruneRevocations forgets, at most once a minute, revocations every covered token
// of which has expired. Caller holds mu.
func (c *TokenCache[V]) pruneRevocations(now time.Time) {
	if len(c.revoked) == 0 || now.Sub(c.lastPrune) < time.Minute {
		return
	}
	c.lastPrune = now
	for sub, at := range c.revoked {
		if now.Sub(at) > TokenCacheMaxLifetime+revocationMargin {
			delete(c.revoked, sub)
		}
	}
}
