package alert_test

import (
	"testing"
	"time"

	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/audit"
)

func london(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, alert.London)
	if err != nil {
		panic(err)
	}
	return t
}

func TestQuietHours(t *testing.T) {
	night := alert.QuietHours{Start: 22 * 60, End: 7 * 60}
	lunch := alert.QuietHours{Start: 13 * 60, End: 14 * 60}
	cases := []struct {
		name  string
		q     alert.QuietHours
		now   string
		until string // "" means not quiet
	}{
		{"late evening waits for the morning", night, "2026-11-23 23:10", "2026-11-24 07:00"},
		{"small hours wait for the morning", night, "2026-11-24 03:00", "2026-11-24 07:00"},
		{"the end of quiet hours is not quiet", night, "2026-11-24 07:00", ""},
		{"daytime is not quiet", night, "2026-11-24 12:00", ""},
		{"a daytime span", lunch, "2026-11-24 13:30", "2026-11-24 14:00"},
		{"across the clocks going back", night, "2026-10-24 23:30", "2026-10-25 07:00"},
		{"none set", alert.QuietHours{}, "2026-11-24 03:00", ""},
	}
	for _, c := range cases {
		got := c.q.Until(london(c.now))
		if (c.until == "") != got.IsZero() || (c.until != "" && !got.Equal(london(c.until))) {
			t.Errorf("%s: Until = %v, want %q", c.name, got, c.until)
		}
	}
}

func TestDigestsComeAtSixInTheEvening(t *testing.T) {
	for now, want := range map[string]string{
		"2026-11-23 09:00": "2026-11-23 18:00", "2026-11-23 18:00": "2026-11-24 18:00", "2026-11-23 23:59": "2026-11-24 18:00",
	} {
		if got := alert.NextDigest(london(now)); !got.Equal(london(want)) {
			t.Errorf("NextDigest(%s) = %v, want %s", now, got, want)
		}
	}
	views := alert.Compose([]audit.Event{
		{ID: "1", Actor: audit.Actor{Kind: audit.ActorOrganisation, Organisation: "RR8", OrganisationName: "Leeds"}, Basis: "grant", Action: "record.summary.read"},
		{ID: "2", Actor: audit.Actor{Kind: audit.ActorOrganisation, Organisation: "RR8", OrganisationName: "Leeds"}, Basis: "grant", Action: "record.entry.read"},
		{ID: "3", Actor: audit.Actor{Kind: audit.ActorViewer, ID: "s1", PractitionerName: "Dr A"}, Basis: "share-code", Action: "record.summary.read"},
	})
	d := alert.Digest("p", views)
	if len(d.EventIDs) != 3 || d.Parts != 3 || d.Body != "2 people viewed 3 parts of your record today. Open the app to see who." {
		t.Fatalf("digest = %+v", d)
	}
}
