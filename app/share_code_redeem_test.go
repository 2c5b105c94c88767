package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/domain/sharecode"
)

// callLog is the real store, noting which of its methods each redemption calls.
type callLog struct {
	app.Store
	mu    sync.Mutex
	calls []string
}

func (l *callLog) note(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, name)
}

func (l *callLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

func (l *callLog) ShareCodeByHash(ctx context.Context, h string) (sharecode.ShareCode, error) {
	l.note("ShareCodeByHash")
	return l.Store.ShareCodeByHash(ctx, h)
}

func (l *callLog) Patient(ctx context.Context, id string) (patient.Patient, error) {
	l.note("Patient")
	return l.Store.Patient(ctx, id)
}

func (l *callLog) UseShareCode(ctx context.Context, h string, now time.Time) (sharecode.ShareCode, error) {
	l.note("UseShareCode")
	return l.Store.UseShareCode(ctx, h, now)
}

func (l *callLog) CountAttempt(ctx context.Context, key string, window, keep time.Time) (int, error) {
	l.note("CountAttempt")
	return l.Store.CountAttempt(ctx, key, window, keep)
}

// Every refusal does the same work, whatever the reason, so its timing tells an
// attacker nothing: the same store calls in the same order.
func TestEveryRefusalDoesTheSameWork(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	log := &callLog{Store: store}
	a, err := app.New(log, time.Now, app.WithShareCodes(app.ShareCodeSettings{Secret: []byte("0123456789abcdef0123456789abcdef"),
		AttemptLimit: 1000, AttemptWindow: time.Minute}))
	if err != nil {
		t.Fatal(err)
	}
	self := identity.Principal{Kind: identity.KindPatient, Patient: patient.Claims{Issuer: "https://idp.test", Subject: "p",
		NHSNumber: "9990000042", BirthDate: "1990-01-02", Proofing: patient.ProofingP9}}
	if _, err := a.Me(ctx, self); err != nil {
		t.Fatal(err)
	}
	issue := func(c app.ShareCodeCommand) string {
		c.Categories = []record.Category{record.Allergies}
		issued, err := a.IssueShareCode(ctx, self, c)
		if err != nil {
			t.Fatal(err)
		}
		return issued.Code.String()
	}
	usedUp := issue(app.ShareCodeCommand{MaxViews: 1})
	revoked := issue(app.ShareCodeCommand{})
	withDOB := issue(app.ShareCodeCommand{RequireBirthDate: true})
	redeem := func(code, dob string) error {
		_, err := a.Redeem(ctx, app.RedeemCommand{Code: code, BirthDate: dob, ClientAddr: "192.0.2.7",
			Viewer: sharecode.Viewer{Name: "Dr A", Role: "GP"}})
		return err
	}
	if err := redeem(usedUp, ""); err != nil {
		t.Fatal(err)
	}
	codes, _ := a.ShareCodes(ctx, self)
	for _, c := range codes {
		if c.Status == sharecode.StatusActive && !c.RequireBirthDate {
			if _, err := a.RevokeShareCode(ctx, self, c.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	log.take()

	var first []string
	for name, attempt := range map[string][2]string{
		"an unknown code": {"0000-0000-00", ""}, "not a code": {"hello", ""}, "a used-up code": {usedUp, ""},
		"a revoked code": {revoked, ""}, "no date of birth": {withDOB, ""}, "the wrong date of birth": {withDOB, "1990-01-03"},
	} {
		if err := redeem(attempt[0], attempt[1]); !errors.Is(err, fault.ErrForbidden) {
			t.Fatalf("%s: %v, want the one refusal", name, err)
		}
		calls := log.take()
		if first == nil {
			first = calls
		}
		if !slices.Equal(calls, first) {
			t.Errorf("%s did %v, another refusal %v", name, calls, first)
		}
	}
	if fmt.Sprint(first) != "[CountAttempt CountAttempt ShareCodeByHash Patient UseShareCode]" {
		t.Errorf("a refusal did %v", first)
	}
}
