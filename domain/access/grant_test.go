package access_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

func TestNewGrantChecksTheRequest(t *testing.T) {
	ok := access.GrantRequest{ID: "g", PatientID: owner, Organisation: "RR8", Categories: []record.Category{record.Medications, record.Allergies, record.Allergies}}
	g, err := access.NewGrant(ok, now)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Start.Equal(now) || !g.End.Equal(now.AddDate(1, 0, 0)) || len(g.Categories) != 2 ||
		g.Categories[0] != record.Allergies || g.Purpose != access.PurposeDirectCare || g.StatusAt(now) != access.StatusActive {
		t.Fatalf("default grant = %+v", g)
	}
	if !g.SameRequest(ok) {
		t.Error("the same request in another order should be the same")
	}
	for name, edit := range map[string]func(*access.GrantRequest){
		"no categories":       func(r *access.GrantRequest) { r.Categories = nil },
		"unknown category":    func(r *access.GrantRequest) { r.Categories = []record.Category{"everything"} },
		"no organisation":     func(r *access.GrantRequest) { r.Organisation = "" },
		"ending in the past":  func(r *access.GrantRequest) { r.End = now.Add(-time.Hour) },
		"ending now":          func(r *access.GrantRequest) { r.End = now },
		"longer than 5 years": func(r *access.GrantRequest) { r.End = now.AddDate(5, 0, 0).Add(time.Millisecond) },
	} {
		r := ok
		edit(&r)
		if _, err := access.NewGrant(r, now); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	later := ok
	later.Start, later.End = now.Add(24*time.Hour), now.AddDate(5, 0, 0)
	if g, err := access.NewGrant(later, now); err != nil || g.StatusAt(now) != access.StatusPending {
		t.Errorf("a grant from tomorrow for five years: %+v, %v", g, err)
	}
}

func TestRevokingKeepsTheFirstRevocation(t *testing.T) {
	g := grant(nil)
	g.Revoke(owner, now)
	g.Revoke("someone-else", now.Add(time.Hour))
	if g.RevokedBy != owner || !g.RevokedAt.Equal(now) || g.StatusAt(now) != access.StatusRevoked ||
		g.StatusAt(now.Add(-time.Millisecond)) != access.StatusActive {
		t.Fatalf("revoked grant = %+v", g)
	}
}

func TestBreakGlassIsShortAndNeedsAReason(t *testing.T) {
	r := access.BreakGlassRequest{ID: "b", PatientID: owner, Organisation: "RR8", Practitioner: "GMC-1", Reason: " unconscious in resus "}
	g, err := access.NewBreakGlass(r, now)
	if err != nil {
		t.Fatal(err)
	}
	if g.Basis != access.BasisBreakGlass || g.IncludeSensitive || !g.End.Equal(now.Add(4*time.Hour)) ||
		g.Reason != "unconscious in resus" || len(g.Categories) != len(record.Categories) {
		t.Fatalf("break-glass = %+v", g)
	}
	for name, edit := range map[string]func(*access.BreakGlassRequest){
		"no reason":        func(r *access.BreakGlassRequest) { r.Reason = "  " },
		"over four hours":  func(r *access.BreakGlassRequest) { r.Length = 4*time.Hour + time.Minute },
		"under one minute": func(r *access.BreakGlassRequest) { r.Length = time.Second },
	} {
		bad := r
		edit(&bad)
		if _, err := access.NewBreakGlass(bad, now); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}
