// Package patient models a citizen's Kith account: who they are at their identity
// provider, their NHS number and how strongly their identity was proven.
package patient

import (
	"time"

	"github.com/kith-health/kith/domain/alert"

	"github.com/kith-health/kith/domain/fault"
)

// Patient is a citizen account, identified by the identity provider's (issuer, subject).
type Patient struct {
	ID        string
	Issuer    string
	Subject   string
	NHSNumber NHSNumber
	BirthDate BirthDate
	Name      Name
	Proofing  ProofingLevel
	Settings  Settings
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version increases by one on every stored change; stores compare-and-set on it.
	Version int64
}

// Settings are the patient's choices about their record.
type Settings struct {
	// BreakGlassAllowed lets an organisation without a grant take emergency access.
	// On unless the patient switches it off.
	BreakGlassAllowed bool
	// AlertMode says when the patient's phone is told of a view: AlertEveryView
	// (the default), AlertFirstView or AlertDailyDigest. Emergency access is always
	// told at once.
	AlertMode AlertMode
	// QuietHours hold routine alerts until they end; emergencies still come.
	QuietHours alert.QuietHours
}

// AlertMode is a patient's choice of push alerts.
type AlertMode string

const (
	AlertEveryView   AlertMode = "every-view"
	AlertFirstView   AlertMode = "first-view"
	AlertDailyDigest AlertMode = "daily-digest"
)

// OrDefault reads an absent mode (an account stored before alert preferences
// existed) as the default, every view.
func (m AlertMode) OrDefault() AlertMode {
	if m == "" {
		return AlertEveryView
	}
	return m
}

// DefaultSettings are a new account's.
var DefaultSettings = Settings{BreakGlassAllowed: true, AlertMode: AlertEveryView}

// Claims is what a verified identity token says about the person.
type Claims struct {
	Issuer    string
	Subject   string
	NHSNumber NHSNumber
	BirthDate BirthDate
	Name      Name
	Proofing  ProofingLevel
}

// Name is how the identity provider names the person. Like every name, it never goes
// into a log: String redacts it.
type Name struct {
	Given  string
	Family string
}

func (Name) String() string { return "name(redacted)" }

// New opens an account for a person seen for the first time.
func New(id string, c Claims, now time.Time) (Patient, error) {
	if id == "" {
		return Patient{}, fault.Invalid("id", "required")
	}
	if c.Issuer == "" || c.Subject == "" {
		return Patient{}, fault.Invalid("sub", "required")
	}
	if c.Proofing == "" {
		return Patient{}, fault.Invalid("identityProofingLevel", "required")
	}
	now = Timestamp(now)
	return Patient{
		ID:        id,
		Issuer:    c.Issuer,
		Subject:   c.Subject,
		NHSNumber: c.NHSNumber,
		BirthDate: c.BirthDate,
		Name:      c.Name,
		Proofing:  c.Proofing,
		Settings:  DefaultSettings,
		CreatedAt: now,
		UpdatedAt: now,
		Version:   1,
	}, nil
}

// Refresh takes in what a newer token says (a proofing upgrade, an NHS number found
// after proofing) and reports whether anything changed. A blank claim never erases a
// known value: a token with less in it is not evidence the facts went away.
func (p *Patient) Refresh(c Claims, now time.Time) bool {
	changed := false
	if c.Proofing != "" && c.Proofing != p.Proofing {
		p.Proofing, changed = c.Proofing, true
	}
	if c.NHSNumber != "" && c.NHSNumber != p.NHSNumber {
		p.NHSNumber, changed = c.NHSNumber, true
	}
	if c.BirthDate != "" && c.BirthDate != p.BirthDate {
		p.BirthDate, changed = c.BirthDate, true
	}
	if c.Name != (Name{}) && c.Name != p.Name {
		p.Name, changed = c.Name, true
	}
	if changed {
		p.UpdatedAt = Timestamp(now)
	}
	return changed
}

// Timestamp is the precision every store keeps: UTC milliseconds. Domain values are
// truncated on creation so what is read back equals what was written.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
