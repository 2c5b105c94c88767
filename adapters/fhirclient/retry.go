package fhirclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

// authMode says whether a request carries Kith's access token.
type authMode int

const (
	// noAuth: the token request itself, and the public SMART configuration.
	noAuth authMode = iota
	// tokenIfHeld: /metadata is public on real servers, so a token goes with it
	// only when one is cached, and is fetched only if the exchange answers 401.
	tokenIfHeld
	// tokenRequired: every search.
	tokenRequired
)

// call is one request as do sends it, as many times as it takes.
type call struct {
	// build makes each attempt's request afresh: a token request needs a new
	// assertion, with a new jti, every time.
	build func(ctx context.Context) (*http.Request, error)
	auth  authMode
	// wantJSON: a 2xx body that is not whole JSON was cut short or mangled on the
	// way, so it is asked for again.
	wantJSON bool
}

// reply is a response read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// maxBody bounds a response: a page of a thousand resources is a few megabytes.
const maxBody = 64 << 20

// outcome judges one attempt.
type outcome struct {
	r     reply
	fault *app.ExchangeFault // nil when the attempt got an answer to hand back
	retry bool               // the failure is worth another attempt
	// wait is the exchange's Retry-After, when told says it sent one.
	wait time.Duration
	told bool
}

// errRedirectRefused ends a request that a redirect would take off its host.
var errRedirectRefused = errors.New("redirect to another host refused")

// newBackOff spaces retries. A randomization under 1/3 with a multiplier of 2
// keeps each wait longer than the one before while still spreading the nodes
// that all saw the same failure.
func newBackOff() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     500 * time.Millisecond,
		RandomizationFactor: 0.25,
		Multiplier:          2,
		MaxInterval:         15 * time.Second,
	}
	b.Reset()
	return b
}

// do sends k until it gets an answer worth handing back (any 2xx with a whole
// body, or a 4xx for the caller to explain) or runs out of attempts. A 401 to a
// request that carried a token drops the token and tries once more with a new one.
func (c *Client) do(ctx context.Context, x exchange.Exchange, k call) (reply, error) {
	b := newBackOff()
	auth, renewed := k.auth, false
	for failures := 0; ; {
		if ctx.Err() != nil {
			return reply{}, canceled(ctx, x)
		}
		req, err := k.build(ctx)
		if err != nil {
			return reply{}, err
		}
		token := ""
		if auth != noAuth {
			if token, err = c.token(ctx, x, auth == tokenRequired); err != nil {
				return reply{}, err
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
		}
		if err := c.pace(ctx, x); err != nil {
			if ctx.Err() != nil {
				return reply{}, canceled(ctx, x)
			}
			return reply{}, fmt.Errorf("pacing requests to exchange %s: %w", x.ID, err)
		}
		resp, err := c.http.Do(req)
		o := c.judge(req, resp, err, k.wantJSON)
		if ctx.Err() != nil {
			return reply{}, canceled(ctx, x)
		}
		if o.fault == nil {
			canRenew := token != "" || (auth == tokenIfHeld && x.Client.TokenURL != "")
			if o.r.status == http.StatusUnauthorized && !renewed && canRenew {
				renewed, auth = true, tokenRequired
				c.tokens.drop(x.ID, token)
				continue
			}
			return o.r, nil
		}
		if !o.retry {
			return reply{}, o.fault
		}
		if o.told && o.wait > c.maxRetryAfter {
			o.fault.RetryAt = c.now().Add(o.wait)
			return reply{}, o.fault
		}
		wait := o.wait
		if !o.told {
			wait = b.NextBackOff()
		}
		if failures++; failures >= c.maxAttempts {
			if o.fault.Reason == exchange.ReasonRateLimited {
				o.fault.RetryAt = c.now().Add(wait)
			}
			return reply{}, o.fault
		}
		if err := c.sleep(ctx, wait); err != nil {
			if ctx.Err() != nil {
				return reply{}, canceled(ctx, x)
			}
			return reply{}, fmt.Errorf("waiting to ask exchange %s again: %w", x.ID, err)
		}
	}
}

// judge reads one attempt's response whole and says whether it is an answer, a
// failure worth retrying, or a failure to give up on.
func (c *Client) judge(req *http.Request, resp *http.Response, err error, wantJSON bool) outcome {
	where := req.Method + " " + redact(req.URL.String())
	if err != nil {
		return outcome{fault: unreachable(0, fmt.Errorf("%s: %w", where, transportCause(err))), retry: retryableTransport(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	status := resp.StatusCode
	switch {
	case status == http.StatusTooManyRequests:
		wait, told := retryAfter(resp.Header.Get("Retry-After"), c.now())
		return outcome{fault: rateLimited(time.Time{}, fmt.Errorf("%s: status 429", where)), retry: true, wait: wait, told: told}
	case status >= 500:
		return outcome{fault: unreachable(status, fmt.Errorf("%s: status %d", where, status)), retry: true}
	case err != nil:
		return outcome{fault: malformed(status, fmt.Errorf("%s: body cut short: %w", where, err)), retry: true}
	case len(body) > maxBody:
		return outcome{fault: malformed(status, fmt.Errorf("%s: body over %d bytes", where, maxBody))}
	case wantJSON && status >= 200 && status < 300 && !json.Valid(body):
		return outcome{fault: malformed(status, fmt.Errorf("%s: body is not whole JSON", where)), retry: true}
	}
	return outcome{r: reply{status: status, header: resp.Header, body: body}}
}

// transportCause drops the URL a *url.Error carries: its query can hold an NHS number.
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retryableTransport is every failure to get a response except those that another
// attempt cannot change: a certificate that does not verify, a redirect refused.
func retryableTransport(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		invalid          x509.CertificateInvalidError
		hostname         x509.HostnameError
		verification     *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(err, errRedirectRefused),
		errors.As(err, &unknownAuthority), errors.As(err, &invalid),
		errors.As(err, &hostname), errors.As(err, &verification):
		return false
	}
	return true
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
