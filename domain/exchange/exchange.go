// Package exchange models the regional health information exchanges Kith pulls
// records from, and each patient's consent to one such pull: the link, with its
// cursors, its last outcome and when it is next due.
package exchange

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// Exchange is a registered FHIR R4 exchange and what Kith learned of it.
type Exchange struct {
	// ID is a short stable name operators and links use ("london-care-record").
	ID      string
	Name    string
	BaseURL string // the FHIR base, tenant included (".../r4/{tenant}")
	Client  Client
	// PageSize is the _count Kith asks for; each type's MaxCount caps it.
	PageSize int
	// RatePerSecond and Concurrency are ceilings across every Kith node.
	RatePerSecond int
	Concurrency   int
	// Types is what the CapabilityStatement said, per resource type Kith pulls.
	Types []TypeSupport
	// Everything says the server has Patient/$everything with _since.
	Everything bool
	Status     Status
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version increases by one on every stored change; stores compare-and-set on it.
	Version int64
}

// Status says whether an exchange's links are pulled.
type Status string

const (
	Active Status = "active"
	// Suspended: an operator stopped every pull from it (links show paused).
	Suspended Status = "suspended"
)

// Client is Kith's SMART Backend Services client at the exchange.
type Client struct {
	ID       string
	TokenURL string // from .well-known/smart-configuration unless configured
	Scopes   []string
	// KeyFile is where Kith's private key for this exchange is (a JWK or PEM file);
	// the exchange holds the public half. Never the key itself.
	KeyFile string
}

// TypeSupport is what the exchange supports for one resource type.
type TypeSupport struct {
	ResourceType string
	// LastUpdated: searches accept _lastUpdated, so pulls can be incremental;
	// otherwise every pull sweeps the whole type and compares.
	LastUpdated bool
	// PatientParam is the search parameter naming the patient ("patient", "subject").
	PatientParam string
	// MaxCount is the largest _count the type accepts (0: no stated limit).
	MaxCount int
	// History: the exchange answers {Type}/_history, whose DELETE entries show
	// what it deleted since a time. Without it, a type searched incrementally
	// never shows a deletion.
	History bool
}

// Count is the _count to ask of t: the exchange's page size within t's cap.
func (x Exchange) Count(t TypeSupport) int {
	if t.MaxCount > 0 && t.MaxCount < x.PageSize {
		return t.MaxCount
	}
	return x.PageSize
}

// Type finds the support recorded for a resource type.
func (x Exchange) Type(resourceType string) (TypeSupport, bool) {
	i := slices.IndexFunc(x.Types, func(t TypeSupport) bool { return t.ResourceType == resourceType })
	if i < 0 {
		return TypeSupport{}, false
	}
	return x.Types[i], true
}

// Registration is what an operator supplies to register an exchange.
type Registration struct {
	ID            string
	Name          string
	BaseURL       string
	Client        Client
	PageSize      int
	RatePerSecond int
	Concurrency   int
}

// Defaults for what an operator leaves out: pages of 100 (most servers' cap on some
// type), 20 requests a second and 4 at once, gentle on a regional service.
const (
	DefaultPageSize      = 100
	DefaultRatePerSecond = 20
	DefaultConcurrency   = 4
)

var exchangeID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// New registers an exchange from r and what its CapabilityStatement said.
func New(r Registration, types []TypeSupport, everything bool, now time.Time) (Exchange, error) {
	if r.PageSize == 0 {
		r.PageSize = DefaultPageSize
	}
	if r.RatePerSecond == 0 {
		r.RatePerSecond = DefaultRatePerSecond
	}
	if r.Concurrency == 0 {
		r.Concurrency = DefaultConcurrency
	}
	var errs []fault.FieldError
	bad := func(field, rule string) { errs = append(errs, fault.FieldError{Field: field, Rule: rule}) }
	if !exchangeID.MatchString(r.ID) {
		bad("id", "lowercase letters, digits and hyphens, 2 to 63")
	}
	if name := strings.TrimSpace(r.Name); name == "" || len(name) > 200 {
		bad("name", "required,max=200")
	}
	if !acceptableURL(r.BaseURL) {
		bad("baseUrl", "https (http only on loopback)")
	}
	if r.Client.TokenURL != "" && !acceptableURL(r.Client.TokenURL) {
		bad("tokenUrl", "https (http only on loopback)")
	}
	if r.PageSize < 1 || r.PageSize > 1000 {
		bad("pageSize", "min=1,max=1000")
	}
	if r.RatePerSecond < 1 || r.RatePerSecond > 10000 {
		bad("ratePerSecond", "min=1,max=10000")
	}
	if r.Concurrency < 1 || r.Concurrency > 64 {
		bad("concurrency", "min=1,max=64")
	}
	if len(errs) > 0 {
		return Exchange{}, &fault.ValidationError{Fields: errs}
	}
	at := now.UTC().Truncate(time.Millisecond)
	return Exchange{
		ID: r.ID, Name: strings.TrimSpace(r.Name), BaseURL: strings.TrimSuffix(r.BaseURL, "/"), Client: r.Client,
		PageSize: r.PageSize, RatePerSecond: r.RatePerSecond, Concurrency: r.Concurrency,
		Types: types, Everything: everything, Status: Active, CreatedAt: at, UpdatedAt: at, Version: 1,
	}, nil
}

// acceptableURL is https, or http to a loopback host (a sandbox on this machine).
func acceptableURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		return h == "127.0.0.1" || h == "localhost" || h == "::1"
	}
	return false
}
