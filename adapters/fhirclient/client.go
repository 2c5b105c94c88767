// Package fhirclient is the client Kith pulls patients' records with from regional
// FHIR R4 exchanges, authenticated with SMART Backend Services: it retries what is
// worth retrying, paces every request and keeps one circuit breaker per exchange.
package fhirclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

// Options configure a Client. Every field may be left zero.
type Options struct {
	// HTTP sends the requests. Default: 10s to connect, 30s per request, and no
	// redirect that leaves the host asked (it would carry a client assertion away).
	HTTP *http.Client
	// Now is the clock for assertions, token lifetimes, Retry-After dates and
	// RetryAt. Default time.Now.
	Now func() time.Time
	// Sleep waits out backoff and Retry-After. Default: a timer that gives up when
	// ctx is done. Tests pass one that records the wait and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Pace is called before every HTTP request, retries and token requests
	// included: the rate ceiling shared by every Kith node lives behind it. Nil: no
	// pacing.
	Pace func(ctx context.Context, x exchange.Exchange) error
	// MaxAttempts bounds the attempts at one request. Default 5.
	MaxAttempts int
	// MaxRetryAfter is the longest Retry-After waited out within a call; a longer
	// one ends the call with exchange.ReasonRateLimited and its RetryAt. Default 30s.
	MaxRetryAfter time.Duration
	// BreakerFailures consecutive failed calls (unreachable or malformed) open an
	// exchange's circuit breaker. Default 5.
	BreakerFailures int
	// BreakerOpenFor is how long an open breaker fails calls at once. Default 1 minute.
	BreakerOpenFor time.Duration
	// LoadKey reads the private key at an exchange's Client.KeyFile. Default: a
	// JWK (JSON) or PEM file, read once per path.
	LoadKey func(path string) (jwk.Key, error)
}

// Client speaks to every registered exchange; it is safe for concurrent use.
type Client struct {
	http          *http.Client
	now           func() time.Time
	sleep         func(ctx context.Context, d time.Duration) error
	pace          func(ctx context.Context, x exchange.Exchange) error
	maxAttempts   int
	maxRetryAfter time.Duration
	loadKey       func(path string) (jwk.Key, error)
	tokens        *tokenCache
	breakers      *breakers
}

var _ app.ExchangeClient = (*Client)(nil)

// New builds a Client, filling in the defaults of what o leaves out.
func New(o Options) *Client {
	c := &Client{
		http: o.HTTP, now: o.Now, sleep: o.Sleep, pace: o.Pace,
		maxAttempts: o.MaxAttempts, maxRetryAfter: o.MaxRetryAfter, loadKey: o.LoadKey,
		tokens: newTokenCache(),
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	if c.pace == nil {
		c.pace = func(context.Context, exchange.Exchange) error { return nil }
	}
	if c.maxAttempts < 1 {
		c.maxAttempts = 5
	}
	if c.maxRetryAfter <= 0 {
		c.maxRetryAfter = 30 * time.Second
	}
	if c.loadKey == nil {
		c.loadKey = newKeyFiles().load
	}
	failures, openFor := o.BreakerFailures, o.BreakerOpenFor
	if failures < 1 {
		failures = 5
	}
	if openFor <= 0 {
		openFor = time.Minute
	}
	c.breakers = newBreakers(failures, openFor, c.now)
	return c
}

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	return &http.Client{
		Transport: t,
		Timeout:   30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if !sameOrigin(req.URL, via[0].URL) {
				return errRedirectRefused
			}
			return nil
		},
	}
}

// sleep waits d unless ctx is done first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fhirGet reads one FHIR resource or Bundle, turning a refusal into a fault: a
// 401 that a fresh token did not cure is the credentials, any other 4xx the request.
func (c *Client) fhirGet(ctx context.Context, x exchange.Exchange, target string, auth authMode) (reply, error) {
	r, err := c.do(ctx, x, call{
		auth: auth, wantJSON: true,
		build: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			if err != nil {
				return nil, fmt.Errorf("GET %s: %w", redact(target), errBadURL)
			}
			req.Header.Set("Accept", "application/fhir+json")
			return req, nil
		},
	})
	if err != nil {
		return reply{}, err
	}
	switch {
	case r.status >= 200 && r.status < 300:
		return r, nil
	case r.status == http.StatusUnauthorized:
		return reply{}, authFault(r.status, fmt.Errorf("GET %s: status 401", redact(target)))
	default:
		return reply{}, rejected(r, fmt.Errorf("GET %s: status %d", redact(target), r.status))
	}
}
