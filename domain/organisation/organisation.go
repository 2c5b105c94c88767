// Package organisation models the health and care organisations that read records
// through Kith: identified by their ODS code, authenticated by the keys they registered.
package organisation

import (
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// Status says whether an organisation may obtain tokens.
type Status string

const (
	Active    Status = "active"
	Suspended Status = "suspended"
)

// odsCode is the shape of an Organisation Data Service code: 3 to 10 letters and
// digits (trusts are 3, GP practices 6, others longer).
var odsCode = regexp.MustCompile(`^[A-Z0-9]{3,10}$`)

// ParseODSCode upper-cases and checks an ODS code.
func ParseODSCode(s string) (string, error) {
	code := strings.ToUpper(strings.TrimSpace(s))
	if !odsCode.MatchString(code) {
		return "", fault.Invalid("odsCode", "ods")
	}
	return code, nil
}

// Organisation is a registered organisation. Exactly one of JWKSURL and JWKS is set:
// where its public keys for SMART Backend Services client assertions come from.
type Organisation struct {
	ODSCode   string
	Name      string
	Status    Status
	JWKSURL   string
	JWKS      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version increases by one on every stored change; stores compare-and-set on it.
	Version int64
}

// Registration is what an operator supplies to register an organisation.
type Registration struct {
	ODSCode string
	Name    string
	JWKSURL string
	JWKS    []byte
}

// New registers an organisation, active from now.
func New(r Registration, now time.Time) (Organisation, error) {
	code, err := ParseODSCode(r.ODSCode)
	if err != nil {
		return Organisation{}, err
	}
	o := Organisation{ODSCode: code, Status: Active, CreatedAt: timestamp(now), UpdatedAt: timestamp(now), Version: 1}
	if err := o.Change(r.Name, r.JWKSURL, r.JWKS, now); err != nil {
		return Organisation{}, err
	}
	o.UpdatedAt = o.CreatedAt
	return o, nil
}

// Change replaces the name and keys, checking them as New does.
func (o *Organisation) Change(name, jwksURL string, jwks []byte, now time.Time) error {
	name = strings.TrimSpace(name)
	switch {
	case name == "" || len(name) > 200:
		return fault.Invalid("name", "required,max=200")
	case (jwksURL == "") == (len(jwks) == 0):
		return fault.Invalid("jwksUrl", "exactly one of jwksUrl and jwks")
	case jwksURL != "" && !acceptableKeyURL(jwksURL):
		return fault.Invalid("jwksUrl", "https")
	}
	o.Name, o.JWKSURL, o.JWKS, o.UpdatedAt = name, jwksURL, jwks, timestamp(now)
	return nil
}

// SetStatus suspends or reactivates the organisation.
func (o *Organisation) SetStatus(s Status, now time.Time) error {
	if s != Active && s != Suspended {
		return fault.Invalid("status", "oneof=active suspended")
	}
	o.Status, o.UpdatedAt = s, timestamp(now)
	return nil
}

func timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// acceptableKeyURL wants https, or plain http only on loopback, where a developer or
// a test serves keys.
func acceptableKeyURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && u.Hostname() == "127.0.0.1")
}
