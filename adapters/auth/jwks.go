package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"golang.org/x/sync/singleflight"
)

// KeySource finds the public key a token's header names by kid.
type KeySource interface {
	// Key returns the key whose kid is kid, or ErrKeyNotFound. A source backed by a
	// provider may refresh its set first, so ctx bounds that fetch.
	Key(ctx context.Context, kid string) (jwk.Key, error)
}

// ErrKeyNotFound means no key with that kid is known, even after any refresh the
// source was allowed to make.
var ErrKeyNotFound = errors.New("no key with that kid")

// StaticKeys is a KeySource over a set held in memory: the development issuer's keys,
// or a test's. It never changes, so an unknown kid stays unknown.
type StaticKeys struct {
	set jwk.Set
}

// NewStaticKeys serves the public half of every key in set, so a set that carries
// private keys (as a test's might) is never used for more than verifying.
func NewStaticKeys(set jwk.Set) (*StaticKeys, error) {
	pub, err := jwk.PublicSetOf(set)
	if err != nil {
		return nil, fmt.Errorf("static key set: %w", err)
	}
	return &StaticKeys{set: pub}, nil
}

// Key looks kid up in the set.
func (s *StaticKeys) Key(_ context.Context, kid string) (jwk.Key, error) {
	if k, ok := s.set.LookupKeyID(kid); ok {
		return k, nil
	}
	return nil, ErrKeyNotFound
}

// RemoteKeysConfig tunes a RemoteKeys. Zero values take the defaults.
type RemoteKeysConfig struct {
	// HTTPClient fetches the discovery document and the JWKS. Redirects are refused
	// whatever the client says, so the only URL ever fetched is the configured one.
	// Default: a client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds every fetch, including a forced refresh made on behalf of a
	// request. Default 10 s.
	Timeout time.Duration
	// RefreshInterval is how often the set is refetched in the background. It is
	// constant, not taken from Cache-Control, so a key the provider withdraws stops
	// being trusted within this interval however long the provider said to cache.
	// Default 15 min.
	RefreshInterval time.Duration
	// MinForcedRefresh is the least time between two fetches forced by unknown kids:
	// a stream of tokens with made-up kids must not turn us into a load generator
	// against the provider. Default 30 s.
	MinForcedRefresh time.Duration
	// MaxBodyBytes caps the JWKS and discovery responses. Default 1 MiB.
	MaxBodyBytes int64
	// Now is the clock for MinForcedRefresh. Default time.Now.
	Now func() time.Time
}

func (c RemoteKeysConfig) withDefaults() RemoteKeysConfig {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.RefreshInterval <= 0 {
		c.RefreshInterval = 15 * time.Minute
	}
	if c.MinForcedRefresh <= 0 {
		c.MinForcedRefresh = 30 * time.Second
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.HTTPClient = noRedirects(c.HTTPClient, c.Timeout)
	return c
}

var errRedirect = errors.New("key fetch: redirects are not followed")

// noRedirects copies the client (never mutating the caller's) with redirects refused
// and a timeout set.
func noRedirects(c *http.Client, timeout time.Duration) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	if out.Timeout == 0 {
		out.Timeout = timeout
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return errRedirect }
	return &out
}

// RemoteKeys is a KeySource over a provider's JWKS, kept fresh by a jwk.Cache in the
// background. jwk.Cache neither fetches on an unknown kid nor limits how often it is
// asked to, so RemoteKeys adds both: an unknown kid forces at most one refresh per
// MinForcedRefresh, shared by every caller waiting at the time.
type RemoteKeys struct {
	url   string
	cache *jwk.Cache
	// res is held so a lookup is an atomic load, not a round trip through the
	// cache's controller goroutine as jwk.Cache.Lookup would be.
	res *httprc.ResourceBase[jwk.Set]
	cfg RemoteKeysConfig

	group      singleflight.Group
	mu         sync.Mutex
	lastForced time.Time
}

// NewRemoteKeys fetches the JWKS at jwksURL and keeps it fresh until Close. It fails
// if the first fetch does not succeed within ctx and Timeout: better to refuse to
// start than to refuse every patient.
func NewRemoteKeys(ctx context.Context, jwksURL string, cfg RemoteKeysConfig) (*RemoteKeys, error) {
	cfg = cfg.withDefaults()
	if err := checkFetchURL(jwksURL, ""); err != nil {
		return nil, err
	}
	// A failed first fetch is retried by httprc in the background while Register
	// waits for a success, so the wait is bounded, and the first error ends it early
	// so the caller learns why rather than that time ran out.
	rctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	var first firstError
	first.cancel = cancel
	// The cache's goroutines outlive ctx, which only bounds the first fetch; Close
	// stops them.
	client := httprc.NewClient(
		httprc.WithHTTPClient(cfg.HTTPClient),
		httprc.WithWhitelist(httprc.NewMapWhitelist().Add(jwksURL)),
		httprc.WithErrorSink(&first),
	)
	cache, err := jwk.NewCache(context.WithoutCancel(ctx), client)
	if err != nil {
		return nil, fmt.Errorf("jwks cache: %w", err)
	}
	err = cache.Register(rctx, jwksURL,
		jwk.WithHTTPClient(cfg.HTTPClient),
		jwk.WithMaxFetchBodySize(cfg.MaxBodyBytes),
		jwk.WithConstantInterval(cfg.RefreshInterval),
		// After a failed background fetch httprc retries after the minimum interval.
		jwk.WithMinInterval(cfg.MinForcedRefresh),
	)
	if err == nil {
		var res *httprc.ResourceBase[jwk.Set]
		res, err = cache.LookupResource(rctx, jwksURL)
		if err == nil {
			first.done()
			return &RemoteKeys{url: jwksURL, cache: cache, res: res, cfg: cfg}, nil
		}
	}
	if ferr := first.get(); ferr != nil {
		err = ferr
	}
	shutdown, cancelShutdown := context.WithTimeout(context.WithoutCancel(ctx), cfg.Timeout)
	defer cancelShutdown()
	_ = cache.Shutdown(shutdown)
	return nil, fmt.Errorf("jwks %s: %w", jwksURL, err)
}

// firstError is the cache's error sink: until done, the first fetch error is kept and
// ends the wait for the first fetch. Later background errors are dropped; the last
// good set stays in use and a forced refresh reports its own error.
type firstError struct {
	mu     sync.Mutex
	err    error
	cancel context.CancelFunc
}

func (f *firstError) Put(_ context.Context, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cancel != nil && f.err == nil {
		f.err = err
		f.cancel()
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *firstError) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancel = nil
}

// DiscoverRemoteKeys reads issuer's OpenID Connect discovery document once, checks it
// speaks for issuer, and serves the keys at its jwks_uri.
func DiscoverRemoteKeys(ctx context.Context, issuer string, cfg RemoteKeysConfig) (*RemoteKeys, error) {
	cfg = cfg.withDefaults()
	jwksURL, err := discoverJWKSURL(ctx, issuer, cfg)
	if err != nil {
		return nil, err
	}
	return NewRemoteKeys(ctx, jwksURL, cfg)
}

func discoverJWKSURL(ctx context.Context, issuer string, cfg RemoteKeysConfig) (string, error) {
	docURL := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	if err := checkFetchURL(docURL, ""); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return "", fmt.Errorf("discovery %s: %w", docURL, err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := cfg.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("discovery %s: %w", docURL, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("discovery %s: status %d", docURL, res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, cfg.MaxBodyBytes+1))
	if err != nil {
		return "", fmt.Errorf("discovery %s: %w", docURL, err)
	}
	if int64(len(body)) > cfg.MaxBodyBytes {
		return "", fmt.Errorf("discovery %s: document larger than %d bytes", docURL, cfg.MaxBodyBytes)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("discovery %s: %w", docURL, err)
	}
	// OpenID Connect Discovery 1.0 section 4.3: the document must name the issuer it
	// was fetched for, or it is someone else's keys.
	if doc.Issuer != issuer {
		return "", fmt.Errorf("discovery %s: document is for issuer %q", docURL, doc.Issuer)
	}
	if err := checkFetchURL(doc.JWKSURI, docURL); err != nil {
		return "", fmt.Errorf("discovery %s: jwks_uri: %w", docURL, err)
	}
	return doc.JWKSURI, nil
}

// checkFetchURL accepts an absolute http(s) URL without credentials. When from (the
// URL that named it) is https, it must be https too: a TLS-protected document must not
// send us to fetch keys in the clear.
func checkFetchURL(raw, from string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("key URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("key URL %q: want an absolute http(s) URL without credentials", raw)
	}
	if strings.HasPrefix(from, "https:") && u.Scheme != "https" {
		return fmt.Errorf("key URL %q: not https", raw)
	}
	return nil
}

// URL is the JWKS URL the keys come from.
func (s *RemoteKeys) URL() string { return s.url }

// Key returns the key named kid. An unknown kid forces a refresh (unless one was
// forced less than MinForcedRefresh ago) and is looked up again, so a key the
// provider has just rotated in is found without waiting for the background refresh.
func (s *RemoteKeys) Key(ctx context.Context, kid string) (jwk.Key, error) {
	if k, ok := s.lookup(kid); ok {
		return k, nil
	}
	refreshErr := s.forceRefresh(ctx)
	// Look again even when this caller was throttled: another caller's refresh may
	// have brought the key in meanwhile.
	if k, ok := s.lookup(kid); ok {
		return k, nil
	}
	if refreshErr != nil && !errors.Is(refreshErr, errThrottled) {
		return nil, fmt.Errorf("%w (refresh failed: %w)", ErrKeyNotFound, refreshErr)
	}
	return nil, ErrKeyNotFound
}

func (s *RemoteKeys) lookup(kid string) (jwk.Key, bool) {
	set := s.res.Resource()
	if set == nil {
		return nil, false
	}
	return set.LookupKeyID(kid)
}

var errThrottled = errors.New("forced refresh throttled")

// forceRefresh refetches the set now, unless a forced refresh started less than
// MinForcedRefresh ago. Concurrent callers share one fetch.
func (s *RemoteKeys) forceRefresh(ctx context.Context) error {
	_, err, _ := s.group.Do("refresh", func() (any, error) {
		s.mu.Lock()
		now := s.cfg.Now()
		if !s.lastForced.IsZero() && now.Sub(s.lastForced) < s.cfg.MinForcedRefresh {
			s.mu.Unlock()
			return nil, errThrottled
		}
		s.lastForced = now
		s.mu.Unlock()
		// The fetch is shared, so it must not die with whichever caller started it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Timeout)
		defer cancel()
		_, err := s.cache.Refresh(fctx, s.url)
		return nil, err
	})
	return err
}

// Close stops the background refresh.
func (s *RemoteKeys) Close(ctx context.Context) error {
	return s.cache.Shutdown(ctx)
}
