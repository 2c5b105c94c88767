// Package sandbox is a sandbox regional health information exchange: a FHIR R4
// server over a set of patient bundles, behaving as an English shared care record
// built on Oracle Health Millennium R4 does (SMART Backend Services tokens,
// per-type searches with _lastUpdated where the profile has it, paging through
// Bundle.link next, Patient/$everything, type history), so Kith's exchange pulls can
// be tested end to end, with latency, throttling, errors, truncated bodies and
// dropped connections injected on purpose.
//
// Simplifications, each deliberate:
//
//   - A bundle is its patient's whole compartment. Every resource in it belongs to
//     that patient, Practitioner, Organization, Location and Medication included, so
//     Practitioner?patient=X lists the practitioners in X's bundle. A resource found
//     in several bundles (an organisation two patients saw) is stored once, as the
//     first bundle has it, and belongs to each of them.
//   - Conditional references ("Practitioner?identifier=...") are left as they are;
//     urn:uuid references to entries of the same bundle become "Type/id".
//   - Resources are never updated in place: Add creates, Delete removes.
//
// Machine-readable limits: each CapabilityStatement.rest.resource carries the
// extension MaxCountExtension whose valueInteger is the largest _count the type
// honours (Observation 200, otherwise 100); a larger _count is capped to it. The
// _count searchParam's documentation says the same in words.
//
// Paging: a next link is the route's URL with one parameter, -pageContext (as
// Oracle names it), an opaque token holding the query, the offset and the
// snapshot: the time and sequence number of the first page. Later pages show the
// data as it was at the snapshot, so resources added or deleted meanwhile neither
// shift nor duplicate entries; Bundle.meta.lastUpdated is the snapshot time on every
// page, so a client can ask for _lastUpdated=gt<that time> next.
//
// Times are UTC at millisecond precision. _lastUpdated follows FHIR's precision
// rule (gt2024-05-01 means from 2 May); _since includes resources changed at the
// instant given.
package sandbox

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/kith-health/kith/adapters/auth"
)

// Faults says how often and how the sandbox misbehaves. Rates are fractions of all
// requests, drawn once per request in the order 429, 500, truncate, drop; each is
// clamped to [0, 1], and when they add up to more than 1 the later kinds get the
// remainder.
type Faults struct {
	// Latency is added to every response, faulty ones included, through Config.Sleep.
	Latency time.Duration
	// Rate429 answers 429 with Retry-After (seconds) and an OperationOutcome.
	Rate429 float64
	// Rate500 answers 500 with an OperationOutcome.
	Rate500 float64
	// RateTruncate sends the headers with the full Content-Length, about half the
	// body, then closes the connection.
	RateTruncate float64
	// RateDrop closes the connection without any response.
	RateDrop float64
	// GrowEvery, when > 0, adds one Observation (see Sandbox.Grow) for every
	// GrowEvery of Config.Now's time that has passed, checked on each request.
	GrowEvery time.Duration
}

// Config configures a Sandbox. Zero values take the defaults.
type Config struct {
	// Bundles each hold one patient's record: exactly one Patient and their resources.
	Bundles [][]byte
	// Prefix is the path the FHIR base is served under. Default "/fhir". Absolute
	// URLs (fullUrl, links, the token endpoint) are built from the request's Host
	// and this prefix.
	Prefix string
	Faults Faults
	// Seed seeds the fault dice and generated content (ids, grown Observations).
	Seed int64
	// Now is the clock for stamps, token expiry and growth. Default time.Now.
	Now func() time.Time
	// LoadedAt is the meta.lastUpdated given to loaded resources that carry none
	// (Synthea's carry none). Default: Now() at New. A fixed one makes a restarted
	// sandbox serve the same bytes, so a client pulling again finds nothing new.
	LoadedAt time.Time
	// Sleep waits out Faults.Latency. Default time.Sleep.
	Sleep func(time.Duration)
	// ClientID is the only SMART client id the token endpoint accepts; "" accepts any.
	ClientID string
	// ClientKeys is a JWKS of the public keys client assertions must be signed with.
	// Nil accepts any well-formed RS384 or ES384 JWT with the right claims, unverified.
	ClientKeys []byte
}

// Patient is one of the sandbox's patients, as a demo or a test needs to know them.
type Patient struct {
	ID        string
	NHSNumber string
	BirthDate string // YYYY-MM-DD, as the bundle has it
	// Resources counts what the sandbox serves for the patient now, the Patient
	// included.
	Resources int
}

// Stats counts what the sandbox did since it was made.
type Stats struct {
	Requests    int64
	Injected429 int64
	Injected500 int64
	Truncated   int64
	Dropped     int64
	// Tokens counts access tokens issued.
	Tokens int64
}

// Sandbox is the exchange. Its methods are safe for concurrent use.
type Sandbox struct {
	prefix   string
	now      func() time.Time
	sleep    func(time.Duration)
	clientID string
	keys     *auth.StaticKeys // nil: assertions are not verified

	// mu guards the store, the growth clock and content, the generated-content stream.
	mu         sync.RWMutex
	st         *store
	lastGrowth time.Time
	grown      int
	content    *rand.Rand
	// lastSnapshot is the latest snapshot time given (Unix ms). Snapshots are taken
	// under the read lock, hence atomic.
	lastSnapshot atomic.Int64

	// diceMu guards the faults and their dice, kept apart from content so how many
	// requests were made never changes what is generated.
	diceMu sync.Mutex
	faults Faults
	dice   *rand.Rand

	tokens tokens

	requests, injected429, injected500, truncated, dropped, issued atomic.Int64
}

// New loads the bundles. It fails on a bundle that is not a Bundle, that holds no
// Patient or several, on two bundles with one Patient id or NHS number, and on an
// NHS number that fails its check digit.
func New(cfg Config) (*Sandbox, error) {
	if len(cfg.Bundles) == 0 {
		return nil, errors.New("sandbox: no bundles")
	}
	s := &Sandbox{
		prefix:   normalPrefix(cfg.Prefix),
		now:      cfg.Now,
		sleep:    cfg.Sleep,
		clientID: cfg.ClientID,
		st:       newStore(),
		content:  rand.New(rand.NewPCG(uint64(cfg.Seed), 2)),
		dice:     rand.New(rand.NewPCG(uint64(cfg.Seed), 1)),
		tokens:   newTokens(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sleep == nil {
		s.sleep = time.Sleep
	}
	if cfg.ClientKeys != nil {
		set, err := jwk.Parse(cfg.ClientKeys)
		if err != nil {
			return nil, fmt.Errorf("sandbox: client keys: %w", err)
		}
		if s.keys, err = auth.NewStaticKeys(set); err != nil {
			return nil, fmt.Errorf("sandbox: client keys: %w", err)
		}
	}
	now := s.stamp()
	loadedAt := now
	if !cfg.LoadedAt.IsZero() {
		loadedAt = cfg.LoadedAt.UTC()
	}
	for i, b := range cfg.Bundles {
		if err := s.load(b, loadedAt); err != nil {
			return nil, fmt.Errorf("sandbox: bundle %d: %w", i, err)
		}
	}
	s.faults = clampFaults(cfg.Faults)
	s.lastGrowth = now
	return s, nil
}

// normalPrefix gives the prefix one leading slash and no trailing one; "/" is the root.
func normalPrefix(p string) string {
	if p == "" {
		return "/fhir"
	}
	p = strings.TrimRight(p, "/")
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// stamp is the clock's time as the sandbox records it: UTC, whole milliseconds, so
// what it prints and what it compares are the same instant.
func (s *Sandbox) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// changeStamp is the lastUpdated of a change made now: the clock's time, or just
// after the latest snapshot when the clock has not passed it (a frozen test clock).
// Then whatever a paged search left out is newer than the Bundle.meta.lastUpdated
// it gave, and _lastUpdated=gt<that time> finds it. The caller holds s.mu for
// writing, so no snapshot is being taken.
func (s *Sandbox) changeStamp() time.Time {
	return later(s.stamp(), time.UnixMilli(s.lastSnapshot.Load()+1).UTC())
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Handler serves the FHIR API under the prefix, with the faults applied.
func (s *Sandbox) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Patients lists the patients in the order their bundles were given.
func (s *Sandbox) Patients() []Patient {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Patient, 0, len(s.st.patients))
	for _, p := range s.st.patients {
		n := 0
		for _, r := range p.resources {
			if r.delSeq == 0 {
				n++
			}
		}
		out = append(out, Patient{ID: p.id, NHSNumber: p.nhs, BirthDate: p.birthDate, Resources: n})
	}
	return out
}

// SetFaults replaces the faults from the next request on. Switching GrowEvery
// restarts the growth clock, so time that passed before does not count.
func (s *Sandbox) SetFaults(f Faults) {
	f = clampFaults(f)
	s.diceMu.Lock()
	restart := f.GrowEvery != s.faults.GrowEvery
	s.faults = f
	s.diceMu.Unlock()
	if restart {
		s.mu.Lock()
		s.lastGrowth = s.stamp()
		s.mu.Unlock()
	}
}

// Stats reads the counters.
func (s *Sandbox) Stats() Stats {
	return Stats{
		Requests:    s.requests.Load(),
		Injected429: s.injected429.Load(),
		Injected500: s.injected500.Load(),
		Truncated:   s.truncated.Load(),
		Dropped:     s.dropped.Load(),
		Tokens:      s.issued.Load(),
	}
}
