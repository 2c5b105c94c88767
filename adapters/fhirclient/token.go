package fhirclient

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

const (
	// assertionLifetime is the most SMART Backend Services allows.
	assertionLifetime   = 5 * time.Minute
	defaultScope        = "system/*.read"
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// defaultTokenLife stands in for an expires_in the server left out: short, since
	// a token kept past its real expiry costs a 401 and a second request.
	defaultTokenLife = time.Minute
)

// tokenCache keeps one access token per exchange until shortly before it expires.
type tokenCache struct {
	mu    sync.Mutex
	slots map[string]*tokenSlot
}

type tokenSlot struct {
	// turn is held by the one caller asking for a token, so callers needing one at
	// the same moment wait for its answer instead of each asking. A channel, not a
	// mutex, so a waiter can give up when its ctx is done.
	turn chan struct{}
	// Guarded by tokenCache.mu.
	owner   string // the client registration the token was issued to
	token   string
	renewAt time.Time
}

func newTokenCache() *tokenCache { return &tokenCache{slots: map[string]*tokenSlot{}} }

func (t *tokenCache) slot(id string) *tokenSlot {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.slots[id]
	if !ok {
		s = &tokenSlot{turn: make(chan struct{}, 1)}
		t.slots[id] = s
	}
	return s
}

// cached is the exchange's token if it is still good and was issued to owner: a
// re-registered client (new key, new scopes) gets a token of its own.
func (t *tokenCache) cached(id, owner string, now time.Time) string {
	s := t.slot(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.token == "" || s.owner != owner || !now.Before(s.renewAt) {
		return ""
	}
	return s.token
}

func (t *tokenCache) keep(id, owner, token string, renewAt time.Time) {
	s := t.slot(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	s.owner, s.token, s.renewAt = owner, token, renewAt
}

// drop forgets token, unless another caller has already replaced it.
func (t *tokenCache) drop(id, token string) {
	if token == "" {
		return
	}
	s := t.slot(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.token == token {
		s.token = ""
	}
}

func ownerKey(cl exchange.Client) string {
	return strings.Join([]string{cl.ID, cl.TokenURL, cl.KeyFile, strings.Join(cl.Scopes, " ")}, "\x00")
}

// token is the exchange's access token: the cached one, else (when fetch) a new one.
func (c *Client) token(ctx context.Context, x exchange.Exchange, fetch bool) (string, error) {
	owner := ownerKey(x.Client)
	if tok := c.tokens.cached(x.ID, owner, c.now()); tok != "" || !fetch {
		return tok, nil
	}
	s := c.tokens.slot(x.ID)
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return "", canceled(ctx, x)
	}
	defer func() { <-s.turn }()
	// Another caller may have got one while this one waited its turn.
	if tok := c.tokens.cached(x.ID, owner, c.now()); tok != "" {
		return tok, nil
	}
	tok, life, err := c.requestToken(ctx, x)
	if err != nil {
		return "", err
	}
	c.tokens.keep(x.ID, owner, tok, c.now().Add(life-min(time.Minute, life/5)))
	return tok, nil
}

// requestToken asks the token endpoint for an access token with a signed client
// assertion (SMART Backend Services, client_credentials).
func (c *Client) requestToken(ctx context.Context, x exchange.Exchange) (string, time.Duration, error) {
	cl := x.Client
	if cl.TokenURL == "" || cl.ID == "" {
		return "", 0, authFault(0, errors.New("the exchange has no token URL or client id registered"))
	}
	key, alg, kid, err := c.signingKey(cl.KeyFile)
	if err != nil {
		return "", 0, &app.ExchangeFault{Reason: exchange.ReasonAuth, Message: msgKey, Err: err}
	}
	scope := strings.Join(cl.Scopes, " ")
	if scope == "" {
		scope = defaultScope
	}
	r, err := c.do(ctx, x, call{auth: noAuth, wantJSON: true,
		build: func(ctx context.Context) (*http.Request, error) {
			assertion, err := c.assertion(cl, key, alg, kid)
			if err != nil {
				return nil, &app.ExchangeFault{Reason: exchange.ReasonAuth, Message: msgKey, Err: err}
			}
			form := url.Values{
				"grant_type":            {"client_credentials"},
				"scope":                 {scope},
				"client_assertion_type": {clientAssertionType},
				"client_assertion":      {assertion},
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.TokenURL, strings.NewReader(form.Encode()))
			if err != nil {
				return nil, fmt.Errorf("POST %s: %w", redact(cl.TokenURL), errBadURL)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			return req, nil
		}})
	if err != nil {
		return "", 0, err
	}
	where := "POST " + redact(cl.TokenURL)
	if r.status < 200 || r.status >= 300 {
		return "", 0, authFault(r.status, fmt.Errorf("%s: status %d%s", where, r.status, oauthError(r.body)))
	}
	var answer struct {
		AccessToken string      `json:"access_token"`
		TokenType   string      `json:"token_type"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	if err := json.Unmarshal(r.body, &answer); err != nil {
		return "", 0, authFault(r.status, fmt.Errorf("%s: the answer is not a token response", where))
	}
	if answer.AccessToken == "" || (answer.TokenType != "" && !strings.EqualFold(answer.TokenType, "bearer")) {
		return "", 0, authFault(r.status, fmt.Errorf("%s: no bearer access_token in the answer", where))
	}
	life := defaultTokenLife
	if secs, err := answer.ExpiresIn.Float64(); err == nil && secs > 0 {
		life = time.Duration(secs * float64(time.Second))
	}
	return answer.AccessToken, life, nil
}

// assertion is a fresh client assertion: iss and sub the client id, aud the token
// URL (a string, as SMART's examples have it), a random jti, five minutes to live.
func (c *Client) assertion(cl exchange.Client, key jwk.Key, alg jwa.SignatureAlgorithm, kid string) (string, error) {
	now := c.now()
	tok, err := jwt.NewBuilder().
		Issuer(cl.ID).Subject(cl.ID).Audience([]string{cl.TokenURL}).
		JwtID(rand.Text()).IssuedAt(now).Expiration(now.Add(assertionLifetime)).
		Build()
	if err != nil {
		return "", fmt.Errorf("building the client assertion: %w", err)
	}
	tok.Options().Enable(jwt.FlattenAudience)
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, kid); err != nil {
		return "", fmt.Errorf("building the client assertion: %w", err)
	}
	if err := hdr.Set(jws.TypeKey, "JWT"); err != nil {
		return "", fmt.Errorf("building the client assertion: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("signing the client assertion: %w", err)
	}
	return string(signed), nil
}

var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// oauthError is the RFC 6749 error code of a refusal, and nothing else of the body:
// a description could echo what was sent.
func oauthError(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || !oauthErrorCode.MatchString(e.Error) {
		return ""
	}
	return " (" + e.Error + ")"
}
