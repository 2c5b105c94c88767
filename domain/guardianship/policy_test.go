package guardianship_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

var london, _ = time.LoadLocation("Europe/London")

// noonIn is midday in London on a day, so only the date matters.
func noonIn(date string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, date, london)
	if err != nil {
		panic(err)
	}
	return d.Add(12 * time.Hour)
}

func established(t *testing.T, now time.Time) guardianship.Guardianship {
	t.Helper()
	g, err := guardianship.New(guardianship.Request{ID: "g1", ChildID: "child", GuardianID: "parent",
		Relationship: guardianship.Parent, LegalBasis: guardianship.ParentalResponsibility,
		Evidence:      guardianship.Evidence{Kind: guardianship.BirthCertificate, Reference: "BC 123"},
		EstablishedBy: guardianship.Establisher{Kind: "organisation", ID: "B86001"}, Start: now.AddDate(-20, 0, 0)}, now.AddDate(-20, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	g.LastActionAt = now.AddDate(0, 0, -1)
	return g
}

func TestTheBandTurnsOnTheBirthdayItself(t *testing.T) {
	p := guardianship.DefaultPolicy
	teen := []record.Category{record.Demographics, record.Immunizations, record.Encounters}
	cases := []struct {
		name, born, today string
		inForce, manage   bool
		band              guardianship.Band
		read              []record.Category
		reason            string
	}{
		{"the day before 11", "2015-06-10", "2026-06-09", true, true, guardianship.BandUnder11, record.Categories, ""},
		{"the 11th birthday", "2015-06-10", "2026-06-10", true, false, guardianship.Band11To15, teen, guardianship.ReasonReviewDue},
		{"the day after 11", "2015-06-10", "2026-06-11", true, false, guardianship.Band11To15, teen, guardianship.ReasonReviewDue},
		{"the day before 13", "2013-06-10", "2026-06-09", true, false, guardianship.Band11To15, teen, guardianship.ReasonReviewDue},
		{"the 13th birthday", "2013-06-10", "2026-06-10", true, false, guardianship.Band11To15, teen, guardianship.ReasonReviewDue},
		{"the day before 16", "2010-06-10", "2026-06-09", true, false, guardianship.Band11To15, teen, guardianship.ReasonReviewDue},
		{"the 16th birthday", "2010-06-10", "2026-06-10", false, false, guardianship.Band16Plus, nil, guardianship.ReasonTurned16},
		{"the day after 16", "2010-06-10", "2026-06-11", false, false, guardianship.Band16Plus, nil, guardianship.ReasonTurned16},
		{"born 29 Feb: 28 Feb of the leap year of the 16th birthday is the day before", "2008-02-29", "2024-02-28", true, false, guardianship.Band11To15, teen, guardianship.ReasonReviewDue},
		{"born 29 Feb: 16 on the leap day of a leap year", "2008-02-29", "2024-02-29", false, false, guardianship.Band16Plus, nil, guardianship.ReasonTurned16},
		{"born 29 Feb: 11 on 28 Feb of a common year", "2012-02-29", "2023-02-28", true, false, guardianship.Band11To15, teen, guardianship.ReasonReviewDue},
		{"born 29 Feb: still 10 on 27 Feb of a common year", "2012-02-29", "2023-02-27", true, true, guardianship.BandUnder11, record.Categories, ""},
		{"born 29 Feb: 13 on 28 Feb of a common year", "2012-02-29", "2025-02-28", true, false, guardianship.Band11To15, teen, guardianship.ReasonReviewDue},
		{"born 29 Feb: 17 on 28 Feb of a common year, still suspended", "2008-02-29", "2025-02-28", false, false, guardianship.Band16Plus, nil, guardianship.ReasonTurned16},
		{"unknown birth date: the narrower band", "", "2026-06-10", true, false, guardianship.Band11To15, teen, guardianship.ReasonReviewDue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := noonIn(c.today)
			s := p.Evaluate(established(t, now), patient.BirthDate(c.born), guardianship.Screen{}, now)
			if s.InForce != c.inForce || s.Manage != c.manage || s.Band != c.band || s.Reason != c.reason || !slices.Equal(s.Read, c.read) {
				t.Fatalf("got in force %v, manage %v, band %s, reason %q, read %v; want %v, %v, %s, %q, %v",
					s.InForce, s.Manage, s.Band, s.Reason, s.Read, c.inForce, c.manage, c.band, c.reason, c.read)
			}
		})
	}
}

func TestABirthdayBeginsAtMidnightInLondonNotUTC(t *testing.T) {
	p := guardianship.DefaultPolicy
	// 16th birthday on 10 June: in British Summer Time London's midnight is 23:00 UTC the day before.
	justAfter := time.Date(2026, 6, 9, 23, 30, 0, 0, time.UTC)
	justBefore := time.Date(2026, 6, 9, 22, 30, 0, 0, time.UTC)
	g := established(t, justBefore)
	if s := p.Evaluate(g, "2010-06-10", guardianship.Screen{}, justBefore); !s.InForce {
		t.Fatalf("at 23:30 London time on the eve the guardianship should still hold: %+v", s)
	}
	if s := p.Evaluate(g, "2010-06-10", guardianship.Screen{}, justAfter); s.InForce || s.Reason != guardianship.ReasonTurned16 {
		t.Fatalf("at 00:30 London time on the birthday it should be suspended: %+v", s)
	}
	// In winter London is on UTC: 23:30 UTC on the eve is still the eve.
	if s := p.Evaluate(g, "2010-12-10", guardianship.Screen{}, time.Date(2026, 12, 9, 23, 30, 0, 0, time.UTC)); !s.InForce {
		t.Fatalf("in GMT 23:30 UTC is still the eve: %+v", s)
	}
}

func TestNoticeOfThe16thBirthdayStartsThirtyDaysAhead(t *testing.T) {
	p := guardianship.DefaultPolicy
	for _, c := range []struct {
		today  string
		notice bool
	}{{"2026-05-10", false}, {"2026-05-11", true}, {"2026-06-09", true}, {"2026-06-10", false}} {
		now := noonIn(c.today)
		s := p.Evaluate(established(t, now), "2010-06-10", guardianship.Screen{}, now)
		if got := s.Notice(guardianship.LondonDate(now)); got != c.notice {
			t.Errorf("%s: notice %v, want %v (adult on %s, notice from %s)", c.today, got, c.notice, s.AdultOn, s.NoticeFrom)
		}
	}
}

func TestWhatTheYoungPersonDoesShapesWhatTheGuardianSees(t *testing.T) {
	p := guardianship.DefaultPolicy
	now := noonIn("2026-06-10")
	g := established(t, now)
	if err := g.Grant([]record.Category{record.Allergies}, now); err != nil {
		t.Fatal(err)
	}
	screen := guardianship.Screen{ChildID: "child"}
	screen.Hide([]record.Category{record.Encounters}, []string{"e1"}, now)
	s := p.Evaluate(g, "2013-01-01", screen, now)
	want := []record.Category{record.Demographics, record.Allergies, record.Immunizations}
	if !slices.Equal(s.Read, want) {
		t.Fatalf("read %v, want %v (granted allergies, hid encounters)", s.Read, want)
	}
	if !screen.Hides("e1") || screen.Hides("e2") {
		t.Fatal("the hidden entry should be screened, another not")
	}
	g.SuspendByChild(now)
	if s := p.Evaluate(g, "2013-01-01", screen, now); s.InForce || s.Reason != guardianship.ReasonSuspendedByChild {
		t.Fatalf("a suspended guardian holds nothing: %+v", s)
	}
	if err := g.ResumeByChild(now); err != nil {
		t.Fatal(err)
	}
	if s := p.Evaluate(g, "2013-01-01", screen, now); !s.InForce {
		t.Fatalf("resumed: %+v", s)
	}
}

func TestRenewalAt16IsTheYoungPersonsConsentAndKeepsOnlyWhatTheyChose(t *testing.T) {
	p := guardianship.DefaultPolicy
	now := noonIn("2026-06-20")
	g := established(t, now)
	if s := p.Evaluate(g, "2010-06-10", guardianship.Screen{}, now); s.InForce {
		t.Fatal("16 and not renewed: suspended")
	}
	if err := g.Renew([]record.Category{record.Medications, record.Allergies}, now); err != nil {
		t.Fatal(err)
	}
	s := p.Evaluate(g, "2010-06-10", guardianship.Screen{}, now)
	if !s.InForce || s.Manage || !slices.Equal(s.Read, []record.Category{record.Allergies, record.Medications}) {
		t.Fatalf("renewed: %+v", s)
	}
	if g.Relationship != guardianship.Carer || g.LegalBasis != guardianship.PatientConsent {
		t.Fatalf("renewal makes a consent-based carer: %s %s", g.Relationship, g.LegalBasis)
	}
}

func TestRestrictionsEndsAndLapsesHoldNothing(t *testing.T) {
	p := guardianship.DefaultPolicy
	now := noonIn("2026-06-10")
	restricted := established(t, now)
	restricted.Restrict(guardianship.Establisher{Kind: "organisation", ID: "B86001"}, "court order", now)
	ended := established(t, now)
	ended.End = now.Add(-time.Hour)
	unused := established(t, now)
	unused.LastActionAt = now.AddDate(-5, 0, 0)
	nearlyUnused := established(t, now)
	nearlyUnused.LastActionAt = now.AddDate(-5, 0, 1)
	notYet := established(t, now)
	notYet.Start = now.Add(time.Hour)
	for name, c := range map[string]struct {
		g      guardianship.Guardianship
		reason string
	}{
		"restricted": {restricted, guardianship.ReasonRestricted}, "ended": {ended, guardianship.ReasonEnded},
		"unused for five years": {unused, guardianship.ReasonUnused}, "not started": {notYet, guardianship.ReasonNotStarted},
	} {
		if s := p.Evaluate(c.g, "2020-01-01", guardianship.Screen{}, now); s.InForce || s.Reason != c.reason {
			t.Errorf("%s: in force %v, reason %q; want %q", name, s.InForce, s.Reason, c.reason)
		}
	}
	if s := p.Evaluate(nearlyUnused, "2020-01-01", guardianship.Screen{}, now); !s.InForce {
		t.Errorf("used a day inside five years: %+v", s)
	}
}

func TestSuspensionForReviewAt13IsADeploymentChoice(t *testing.T) {
	p := guardianship.DefaultPolicy
	p.SuspendForReviewAge = 13
	now := noonIn("2026-06-10")
	g := established(t, now)
	if s := p.Evaluate(g, "2013-06-11", guardianship.Screen{}, now); !s.InForce {
		t.Fatalf("the day before 13: %+v", s)
	}
	if s := p.Evaluate(g, "2013-06-10", guardianship.Screen{}, now); s.InForce || s.Reason != guardianship.ReasonReviewDue {
		t.Fatalf("13 and not reviewed: %+v", s)
	}
	g.ReviewedAt = now
	if s := p.Evaluate(g, "2013-06-10", guardianship.Screen{}, now); !s.InForce || s.ReviewDue {
		t.Fatalf("reviewed on the 13th birthday: %+v", s)
	}
}

func TestEstablishingRefusesWhatTheStandardDoesNot(t *testing.T) {
	now := noonIn("2026-06-10")
	base := guardianship.Request{ID: "g", ChildID: "c", GuardianID: "p", Relationship: guardianship.Parent,
		LegalBasis: guardianship.ParentalResponsibility, Evidence: guardianship.Evidence{Kind: guardianship.BirthCertificate, Reference: "BC 1"},
		EstablishedBy: guardianship.Establisher{Kind: "operator", ID: "op"}}
	for name, edit := range map[string]func(*guardianship.Request){
		"self":                             func(r *guardianship.Request) { r.GuardianID = "c" },
		"no evidence":                      func(r *guardianship.Request) { r.Evidence.Reference = " " },
		"unknown evidence":                 func(r *guardianship.Request) { r.Evidence.Kind = "selfie" },
		"carer on parental responsibility": func(r *guardianship.Request) { r.Relationship = guardianship.Carer },
		"no establisher":                   func(r *guardianship.Request) { r.EstablishedBy = guardianship.Establisher{} },
		"ended already":                    func(r *guardianship.Request) { r.End = now.Add(-time.Minute) },
		"unknown category":                 func(r *guardianship.Request) { r.Access = []record.Category{"secrets"} },
	} {
		r := base
		edit(&r)
		if _, err := guardianship.New(r, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := guardianship.New(base, now); err != nil {
		t.Fatal(err)
	}
}

func TestACarerOnTheAdultsConsentIsNotSuspendedByAge(t *testing.T) {
	now := noonIn("2026-06-10")
	g, err := guardianship.New(guardianship.Request{ID: "g", ChildID: "adult", GuardianID: "carer", Relationship: guardianship.Carer,
		LegalBasis: guardianship.PatientConsent, Evidence: guardianship.Evidence{Kind: guardianship.ConsentRecord, Reference: "Consent form 7"},
		EstablishedBy: guardianship.Establisher{Kind: "organisation", ID: "B86001"}, Access: []record.Category{record.Medications}}, now)
	if err != nil {
		t.Fatal(err)
	}
	s := guardianship.DefaultPolicy.Evaluate(g, "1950-03-01", guardianship.Screen{}, now)
	if !s.InForce || s.Manage || !slices.Equal(s.Read, []record.Category{record.Medications}) {
		t.Fatalf("a consenting adult's carer: %+v", s)
	}
}
