package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/fault"
)

// newExchange registers an exchange with every field set: a client with scopes and
// two resource types, one incremental and capped, one swept whole.
func newExchange(t *testing.T, id string) exchange.Exchange {
	t.Helper()
	x, err := exchange.New(exchange.Registration{
		ID: id, Name: "Exchange " + id, BaseURL: "https://" + id + ".example/fhir/r4/tenant-1",
		Client: exchange.Client{ID: "kith-" + id, TokenURL: "https://" + id + ".example/oauth/token",
			Scopes: []string{"system/Observation.rs", "system/Condition.rs"}, KeyFile: "/etc/kith/keys/" + id + ".jwk"},
		PageSize: 250, RatePerSecond: 15, Concurrency: 3,
	}, []exchange.TypeSupport{
		{ResourceType: "Observation", LastUpdated: true, PatientParam: "patient", MaxCount: 200, History: true},
		{ResourceType: "Condition", PatientParam: "subject"},
	}, true, at)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// newLink is a fresh link, due at due.
func newLink(patientID, exchangeID string, due time.Time) exchange.Link {
	l := exchange.NewLink(app.NewID(), patientID, exchangeID, true, at)
	l.NextDueAt = utcMilli(due)
	return l
}

// fullLink is a link with every field set, its times with nanoseconds in a non-UTC
// zone, and a cursor with a next page beside one never swept (zero times, no page).
func fullLink(patientID, exchangeID string) exchange.Link {
	return exchange.Link{
		ID: app.NewID(), PatientID: patientID, ExchangeID: exchangeID, Status: exchange.Failing,
		SourcePatient: "ex-patient-8812",
		Cursors: []exchange.Cursor{
			{ResourceType: "Observation", Since: at.Add(-24 * time.Hour),
				Next: "https://ex.example/fhir/r4/tenant-1?_getpages=a1b2&_getpagesoffset=100&_count=100", SweepStartedAt: at},
			{ResourceType: "Condition"},
		},
		LastAttemptAt: at, LastSuccessAt: at.Add(-6 * time.Hour), LastError: "The exchange did not answer in time.",
		LastErrorReason: exchange.ReasonUnreachable, Failures: 3, NextDueAt: at.Add(4 * time.Minute), Pulled: 42,
		SyncRequestedAt: at.Add(-time.Minute), AlertNewResults: true, LeaseHolder: "node-1",
		LeaseUntil: at.Add(time.Minute), CreatedAt: at.Add(-48 * time.Hour), UpdatedAt: at, Version: 7,
	}
}

// storedLink is l as a store gives it back: every time in UTC milliseconds.
func storedLink(l exchange.Link) exchange.Link {
	for _, ts := range []*time.Time{&l.LastAttemptAt, &l.LastSuccessAt, &l.NextDueAt, &l.SyncRequestedAt,
		&l.LeaseUntil, &l.CreatedAt, &l.UpdatedAt} {
		*ts = utcMilli(*ts)
	}
	l.Cursors = append([]exchange.Cursor(nil), l.Cursors...)
	for i := range l.Cursors {
		l.Cursors[i].Since, l.Cursors[i].SweepStartedAt = utcMilli(l.Cursors[i].Since), utcMilli(l.Cursors[i].SweepStartedAt)
	}
	return l
}

func checkUTCMilli(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for _, ts := range times {
		if !ts.IsZero() && (ts.Location() != time.UTC || ts.Nanosecond()%1e6 != 0) {
			t.Fatalf("%s: time %v is not UTC milliseconds", what, ts)
		}
	}
}

func testExchanges(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	t.Run("an empty store lists none", func(t *testing.T) {
		all, err := s.Exchanges(c)
		if err != nil || len(all) != 0 {
			t.Fatalf("Exchanges = %v, %v; want none", all, err)
		}
	})

	london := newExchange(t, "london-care-record")
	bristol := newExchange(t, "bristol-hie")
	bare := newExchange(t, "yorkshire-hie") // what a server that said little leaves
	bare.Types, bare.Client.Scopes, bare.Client.TokenURL, bare.Everything = nil, nil, "", false
	// Times straight from the clock, with nanoseconds and a zone: the store normalises.
	raw := london
	raw.CreatedAt, raw.UpdatedAt = at, at.Add(time.Second)
	london.CreatedAt, london.UpdatedAt = utcMilli(at), utcMilli(at.Add(time.Second))
	for _, x := range []exchange.Exchange{raw, bristol, bare} {
		if err := s.CreateExchange(c, x); err != nil {
			t.Fatalf("CreateExchange(%s): %v", x.ID, err)
		}
	}

	t.Run("read back equals what was written, every field, in UTC milliseconds", func(t *testing.T) {
		for _, want := range []exchange.Exchange{london, bristol, bare} {
			got, err := s.Exchange(c, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Exchange(%s) = %+v\nwant %+v", want.ID, got, want)
			}
			checkUTCMilli(t, want.ID, got.CreatedAt, got.UpdatedAt)
		}
		got, _ := s.Exchange(c, london.ID)
		if len(got.Types) != 2 || got.Types[0].MaxCount != 200 || !got.Types[0].LastUpdated || got.Types[1].PatientParam != "subject" ||
			len(got.Client.Scopes) != 2 || got.Client.KeyFile != london.Client.KeyFile || !got.Everything {
			t.Fatalf("Exchange lost what the server said: %+v", got)
		}
	})

	t.Run("unknown ids are ErrNotFound", func(t *testing.T) {
		if _, err := s.Exchange(c, "nowhere-hie"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("Exchange(unknown) = %v, want ErrNotFound", err)
		}
		_, err := s.UpdateExchange(c, "nowhere-hie", func(*exchange.Exchange) error { return nil })
		if !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("UpdateExchange(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("a second registration of an id is ErrConflict and changes nothing", func(t *testing.T) {
		again := newExchange(t, london.ID)
		again.Name = "Impostor"
		if err := s.CreateExchange(c, again); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("CreateExchange(taken id) = %v, want ErrConflict", err)
		}
		if got, _ := s.Exchange(c, london.ID); !reflect.DeepEqual(got, london) {
			t.Fatalf("the losing registration changed the exchange: %+v", got)
		}
	})

	t.Run("the list is ordered by id", func(t *testing.T) {
		all, err := s.Exchanges(c)
		if err != nil {
			t.Fatal(err)
		}
		if want := []exchange.Exchange{bristol, london, bare}; !reflect.DeepEqual(all, want) {
			t.Fatalf("Exchanges = %+v\nwant %+v", all, want)
		}
	})

	t.Run("update writes the change and bumps the version", func(t *testing.T) {
		later := at.Add(time.Hour)
		got, err := s.UpdateExchange(c, london.ID, func(x *exchange.Exchange) error {
			x.Status = exchange.Suspended
			x.Types = []exchange.TypeSupport{{ResourceType: "AllergyIntolerance", LastUpdated: true, PatientParam: "patient"}}
			x.Client.Scopes = append(x.Client.Scopes, "system/AllergyIntolerance.rs")
			x.UpdatedAt = later
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateExchange: %v", err)
		}
		if got.Status != exchange.Suspended || len(got.Types) != 1 || len(got.Client.Scopes) != 3 ||
			got.Version != london.Version+1 || !got.UpdatedAt.Equal(utcMilli(later)) || got.CreatedAt != london.CreatedAt {
			t.Fatalf("UpdateExchange returned %+v", got)
		}
		checkUTCMilli(t, "updated exchange", got.UpdatedAt)
		read, err := s.Exchange(c, london.ID)
		if err != nil || !reflect.DeepEqual(read, got) {
			t.Fatalf("Exchange after update = %+v, %v\nwant %+v", read, err, got)
		}
	})

	t.Run("an update that fails writes nothing", func(t *testing.T) {
		before, _ := s.Exchange(c, bristol.ID)
		refused := errors.New("refused")
		_, err := s.UpdateExchange(c, bristol.ID, func(x *exchange.Exchange) error {
			x.Status = exchange.Suspended
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("UpdateExchange = %v, want the update's error", err)
		}
		if after, _ := s.Exchange(c, bristol.ID); !reflect.DeepEqual(after, before) {
			t.Fatalf("failed update changed the exchange: %+v", after)
		}
	})

	t.Run("of twenty concurrent registrations of one id exactly one wins", func(t *testing.T) {
		exactlyOneWins(t, 20, "CreateExchange", func(int) error {
			return s.CreateExchange(c, newExchange(t, "race-hie"))
		})
	})

	t.Run("concurrent updates are all applied, none lost", func(t *testing.T) {
		const writers = 10
		var wg sync.WaitGroup
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateExchange(c, bristol.ID, func(x *exchange.Exchange) error {
					x.PageSize++
					return nil
				})
				if err != nil {
					t.Errorf("UpdateExchange: %v", err)
				}
			}()
		}
		wg.Wait()
		got, err := s.Exchange(c, bristol.ID)
		if err != nil || got.Version != bristol.Version+writers || got.PageSize != bristol.PageSize+writers {
			t.Fatalf("version %d, page size %d after %d updates from %d and %d (%v): an update was lost",
				got.Version, got.PageSize, writers, bristol.Version, bristol.PageSize, err)
		}
	})
}

func testExchangeLinks(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	const london, bristol = "london-care-record", "bristol-hie"

	full := fullLink("patient-a", london)
	stored, created, err := s.CreateLink(c, full)
	if err != nil || !created {
		t.Fatalf("CreateLink = %v, created %v", err, created)
	}
	want := storedLink(full)

	t.Run("read back equals what was written, every field, in UTC milliseconds", func(t *testing.T) {
		if !reflect.DeepEqual(stored, want) {
			t.Fatalf("CreateLink returned %+v\nwant %+v", stored, want)
		}
		got, err := s.Link(c, "patient-a", full.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Link = %+v\nwant %+v", got, want)
		}
		checkUTCMilli(t, "link", got.LastAttemptAt, got.LastSuccessAt, got.NextDueAt, got.SyncRequestedAt,
			got.LeaseUntil, got.CreatedAt, got.UpdatedAt, got.Cursors[0].Since, got.Cursors[0].SweepStartedAt)
		if never := got.Cursor("Condition"); !never.Since.IsZero() || !never.SweepStartedAt.IsZero() || never.Next != "" {
			t.Fatalf("a cursor never swept came back as %+v", never)
		}
	})

	t.Run("a fresh link's zero times and empty cursors come back as they went", func(t *testing.T) {
		fresh := newLink("patient-z", london, at)
		got, created, err := s.CreateLink(c, fresh)
		if err != nil || !created || !reflect.DeepEqual(got, fresh) {
			t.Fatalf("CreateLink = %+v, %v, %v\nwant %+v", got, created, err, fresh)
		}
		if read, err := s.Link(c, "patient-z", fresh.ID); err != nil || !reflect.DeepEqual(read, fresh) {
			t.Fatalf("Link = %+v, %v\nwant %+v", read, err, fresh)
		}
	})

	t.Run("a second link to the same exchange finds the first and writes nothing", func(t *testing.T) {
		retry := newLink("patient-a", london, at.Add(time.Hour))
		got, created, err := s.CreateLink(c, retry)
		if err != nil || created || !reflect.DeepEqual(got, want) {
			t.Fatalf("CreateLink(retry) = %+v, created %v, %v; want the first link", got, created, err)
		}
		if _, err := s.Link(c, "patient-a", retry.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("the retry's id was stored: %v", err)
		}
	})

	t.Run("another patient links to the same exchange", func(t *testing.T) {
		if _, created, err := s.CreateLink(c, newLink("patient-b", london, at)); err != nil || !created {
			t.Fatalf("CreateLink(other patient) = created %v, %v", created, err)
		}
	})

	older := newLink("patient-a", bristol, at)
	older.CreatedAt = utcMilli(at.Add(-72 * time.Hour))
	if _, created, err := s.CreateLink(c, older); err != nil || !created {
		t.Fatalf("CreateLink(second exchange) = created %v, %v", created, err)
	}

	t.Run("a patient's links are listed oldest first, theirs only", func(t *testing.T) {
		links, err := s.Links(c, "patient-a")
		if err != nil {
			t.Fatal(err)
		}
		if len(links) != 2 || links[0].ID != older.ID || !reflect.DeepEqual(links[1], want) {
			t.Fatalf("Links = %+v; want the bristol link then the london one", links)
		}
		if none, err := s.Links(c, "patient-nobody"); err != nil || len(none) != 0 {
			t.Fatalf("Links(no links) = %v, %v; want none", none, err)
		}
	})

	t.Run("another patient's link id is ErrNotFound and changes nothing", func(t *testing.T) {
		if _, err := s.Link(c, "patient-b", full.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("Link(another's) = %v, want ErrNotFound", err)
		}
		_, err := s.UpdateLink(c, "patient-b", full.ID, func(l *exchange.Link) error {
			l.Status = exchange.Paused
			return nil
		})
		if !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("UpdateLink(another's) = %v, want ErrNotFound", err)
		}
		if err := s.DeleteLink(c, "patient-b", full.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("DeleteLink(another's) = %v, want ErrNotFound", err)
		}
		if got, err := s.Link(c, "patient-a", full.ID); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("the link after another patient's attempts = %+v, %v", got, err)
		}
	})

	t.Run("unknown ids are ErrNotFound", func(t *testing.T) {
		if _, err := s.Link(c, "patient-a", "no-such-link"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("Link(unknown) = %v, want ErrNotFound", err)
		}
		if _, err := s.UpdateLink(c, "patient-a", "no-such-link", func(*exchange.Link) error { return nil }); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("UpdateLink(unknown) = %v, want ErrNotFound", err)
		}
		if err := s.DeleteLink(c, "patient-a", "no-such-link"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("DeleteLink(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("update writes a finished pull and its cursors, and bumps the version", func(t *testing.T) {
		finished := at.Add(time.Hour)
		got, err := s.UpdateLink(c, "patient-a", full.ID, func(l *exchange.Link) error {
			l.SetCursor(exchange.Cursor{ResourceType: "Observation", Since: at, SweepStartedAt: time.Time{}})
			l.SetCursor(exchange.Cursor{ResourceType: "MedicationStatement", Next: "https://ex.example/fhir/r4/tenant-1?page=3",
				SweepStartedAt: finished.Add(-time.Minute)})
			l.Succeed(exchange.DefaultSchedule, 17, finished, 0.5)
			l.LeaseHolder, l.LeaseUntil = "", time.Time{}
			l.UpdatedAt = finished
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateLink: %v", err)
		}
		if got.Version != full.Version+1 || got.Status != exchange.UpToDate || got.Pulled != 17 || got.Failures != 0 ||
			got.LastError != "" || !got.LastSuccessAt.Equal(utcMilli(finished)) || !got.LeaseUntil.IsZero() || got.LeaseHolder != "" {
			t.Fatalf("UpdateLink returned %+v", got)
		}
		checkUTCMilli(t, "updated link", got.LastSuccessAt, got.NextDueAt, got.UpdatedAt, got.Cursors[2].SweepStartedAt)
		wantCursors := []exchange.Cursor{
			{ResourceType: "Observation", Since: utcMilli(at)},
			{ResourceType: "Condition"},
			{ResourceType: "MedicationStatement", Next: "https://ex.example/fhir/r4/tenant-1?page=3",
				SweepStartedAt: utcMilli(finished.Add(-time.Minute))},
		}
		if !reflect.DeepEqual(got.Cursors, wantCursors) {
			t.Fatalf("cursors = %+v\nwant %+v", got.Cursors, wantCursors)
		}
		read, err := s.Link(c, "patient-a", full.ID)
		if err != nil || !reflect.DeepEqual(read, got) {
			t.Fatalf("Link after update = %+v, %v\nwant %+v", read, err, got)
		}
	})

	t.Run("an update that fails writes nothing", func(t *testing.T) {
		before, _ := s.Link(c, "patient-a", older.ID)
		refused := errors.New("refused")
		_, err := s.UpdateLink(c, "patient-a", older.ID, func(l *exchange.Link) error {
			l.Status = exchange.Paused
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("UpdateLink = %v, want the update's error", err)
		}
		if after, _ := s.Link(c, "patient-a", older.ID); !reflect.DeepEqual(after, before) {
			t.Fatalf("failed update changed the link: %+v", after)
		}
	})

	t.Run("a deleted link is gone, and the patient can link again", func(t *testing.T) {
		if err := s.DeleteLink(c, "patient-a", full.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Link(c, "patient-a", full.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("Link(deleted) = %v, want ErrNotFound", err)
		}
		if err := s.DeleteLink(c, "patient-a", full.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("DeleteLink(deleted) = %v, want ErrNotFound", err)
		}
		again := newLink("patient-a", london, at.Add(2*time.Hour))
		got, created, err := s.CreateLink(c, again)
		if err != nil || !created || got.ID != again.ID {
			t.Fatalf("CreateLink after delete = %s, created %v, %v; want the new link", got.ID, created, err)
		}
		if links, _ := s.Links(c, "patient-a"); len(links) != 2 {
			t.Fatalf("%d links after relinking, want 2", len(links))
		}
	})
}

func testLinkClaims(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	now := at.Add(time.Hour) // nanoseconds and a zone: claims compare at milliseconds
	lease := now.Add(time.Minute)
	create := func(patientID, exchangeID string, due time.Time) exchange.Link {
		t.Helper()
		l := newLink(patientID, exchangeID, due)
		if _, created, err := s.CreateLink(c, l); err != nil || !created {
			t.Fatalf("CreateLink = created %v, %v", created, err)
		}
		return l
	}
	overdue := create("patient-1", "ex-a", now.Add(-30*time.Minute))
	mostOverdue := create("patient-2", "ex-a", now.Add(-2*time.Hour))
	dueNow := create("patient-3", "ex-b", now) // due at the very millisecond
	notYet := create("patient-4", "ex-a", now.Add(time.Millisecond))
	skipped := create("patient-5", "ex-skip", now.Add(-3*time.Hour))
	skip := []string{"ex-skip", "ex-other"}

	t.Run("a claim takes due links, most overdue first, up to the limit, across patients", func(t *testing.T) {
		got, err := s.ClaimLinks(c, "node-1", now, lease, 2, skip)
		if err != nil || len(got) != 2 || got[0].ID != mostOverdue.ID || got[1].ID != overdue.ID {
			t.Fatalf("ClaimLinks = %v, %v; want the two most overdue", linkIDs(got), err)
		}
		for i, l := range got {
			if l.LeaseHolder != "node-1" || !l.LeaseUntil.Equal(utcMilli(lease)) || l.Version != 1 {
				t.Fatalf("claimed link = %+v; want held by node-1 until %v, version 1", l, utcMilli(lease))
			}
			checkUTCMilli(t, "claimed link", l.LeaseUntil)
			read, err := s.Link(c, l.PatientID, l.ID)
			if err != nil || !reflect.DeepEqual(read, l) {
				t.Fatalf("claimed link %d read back as %+v, %v\nwant %+v", i, read, err, l)
			}
		}
	})

	t.Run("held links are left to their holder; skipped exchanges and links not due are left alone", func(t *testing.T) {
		got, err := s.ClaimLinks(c, "node-2", now, lease, 10, skip)
		if err != nil || len(got) != 1 || got[0].ID != dueNow.ID || got[0].LeaseHolder != "node-2" {
			t.Fatalf("ClaimLinks = %v, %v; want only the link due now", linkIDs(got), err)
		}
		if more, err := s.ClaimLinks(c, "node-2", now, lease, 10, skip); err != nil || len(more) != 0 {
			t.Fatalf("ClaimLinks again = %v, %v; want nothing", linkIDs(more), err)
		}
		if l, _ := s.Link(c, "patient-4", notYet.ID); l.LeaseHolder != "" || l.Version != 0 {
			t.Fatalf("the link not yet due was touched: %+v", l)
		}
		if l, _ := s.Link(c, "patient-5", skipped.ID); l.LeaseHolder != "" {
			t.Fatalf("the skipped exchange's link was claimed: %+v", l)
		}
	})

	t.Run("without skip, a skipped exchange's link is claimed", func(t *testing.T) {
		got, err := s.ClaimLinks(c, "node-3", now, lease, 10, nil)
		if err != nil || len(got) != 1 || got[0].ID != skipped.ID {
			t.Fatalf("ClaimLinks = %v, %v; want the skipped exchange's link", linkIDs(got), err)
		}
	})

	t.Run("a lease is held until it runs out, then taken over", func(t *testing.T) {
		if got, err := s.ClaimLinks(c, "node-4", lease.Add(-time.Millisecond), lease.Add(time.Hour), 10, nil); err != nil ||
			len(got) != 1 || got[0].ID != notYet.ID {
			t.Fatalf("ClaimLinks before the leases run out = %v, %v; want only the link now due", linkIDs(got), err)
		}
		later := lease.Add(time.Second)
		got, err := s.ClaimLinks(c, "node-4", later, later.Add(time.Minute), 10, nil)
		want := []string{skipped.ID, mostOverdue.ID, overdue.ID, dueNow.ID}
		if err != nil || !reflect.DeepEqual(linkIDs(got), want) {
			t.Fatalf("ClaimLinks after the leases ran out = %v, %v; want %v", linkIDs(got), err, want)
		}
		for _, l := range got {
			if l.LeaseHolder != "node-4" || !l.LeaseUntil.Equal(utcMilli(later.Add(time.Minute))) || l.Version != 2 {
				t.Fatalf("taken-over link = %+v; want held by node-4, version 2", l)
			}
		}
	})

	t.Run("a finished pull is free but not claimed until it is due again", func(t *testing.T) {
		finished := lease.Add(2 * time.Second)
		done, err := s.UpdateLink(c, "patient-1", overdue.ID, func(l *exchange.Link) error {
			if !l.Held("node-4", finished) {
				return fmt.Errorf("node-4 does not hold the link: %+v", l)
			}
			l.Succeed(exchange.DefaultSchedule, 5, finished, 0.5)
			l.LeaseHolder, l.LeaseUntil = "", time.Time{}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimLinks(c, "node-5", finished, finished.Add(time.Minute), 10, nil); err != nil || len(got) != 0 {
			t.Fatalf("ClaimLinks = %v, %v; want nothing (the rest are held, this one not due)", linkIDs(got), err)
		}
		// Just before it is due every other lease has run out: those four are taken.
		early := done.NextDueAt.Add(-time.Millisecond)
		got, err := s.ClaimLinks(c, "node-5", early, early.Add(time.Hour), 10, nil)
		if want := []string{skipped.ID, mostOverdue.ID, dueNow.ID, notYet.ID}; err != nil || !reflect.DeepEqual(linkIDs(got), want) {
			t.Fatalf("ClaimLinks just before it is due = %v, %v; want %v", linkIDs(got), err, want)
		}
		got, err = s.ClaimLinks(c, "node-6", done.NextDueAt, done.NextDueAt.Add(time.Minute), 10, nil)
		if err != nil || len(got) != 1 || got[0].ID != overdue.ID {
			t.Fatalf("ClaimLinks when due again = %v, %v; want the finished link", linkIDs(got), err)
		}
	})
}

func testLinkRaces(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	t.Run("of twenty nodes claiming one due link exactly one gets it", func(t *testing.T) {
		l := newLink("patient-r", "ex-race", at)
		if _, _, err := s.CreateLink(c, l); err != nil {
			t.Fatal(err)
		}
		now := at.Add(time.Minute)
		var mu sync.Mutex
		var holders []string
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				node := fmt.Sprintf("node-%d", i)
				got, err := s.ClaimLinks(c, node, now, now.Add(time.Minute), 5, nil)
				if err != nil {
					t.Errorf("ClaimLinks: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for range got {
					holders = append(holders, node)
				}
			}()
		}
		wg.Wait()
		if len(holders) != 1 {
			t.Fatalf("the link was claimed by %v; want exactly one node", holders)
		}
		if got, _ := s.Link(c, "patient-r", l.ID); got.LeaseHolder != holders[0] || got.Version != l.Version+1 {
			t.Fatalf("stored link = %+v; want held by %s, claimed once", got, holders[0])
		}
	})

	t.Run("of twenty concurrent links to one exchange exactly one is created", func(t *testing.T) {
		var mu sync.Mutex
		ids := map[string]int{}
		created := 0
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, ok, err := s.CreateLink(c, newLink("patient-s", "ex-race", at))
				if err != nil {
					t.Errorf("CreateLink: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids[l.ID]++
				if ok {
					created++
				}
			}()
		}
		wg.Wait()
		if created != 1 || len(ids) != 1 {
			t.Fatalf("%d created, %d distinct links returned; want 1 and 1", created, len(ids))
		}
		if links, _ := s.Links(c, "patient-s"); len(links) != 1 {
			t.Fatalf("%d links stored, want 1", len(links))
		}
	})

	t.Run("concurrent link updates are all applied, none lost", func(t *testing.T) {
		l := newLink("patient-u", "ex-race", at)
		if _, _, err := s.CreateLink(c, l); err != nil {
			t.Fatal(err)
		}
		const writers = 10
		var wg sync.WaitGroup
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.UpdateLink(c, "patient-u", l.ID, func(q *exchange.Link) error {
					q.Failures++
					return nil
				}); err != nil {
					t.Errorf("UpdateLink: %v", err)
				}
			}()
		}
		wg.Wait()
		got, err := s.Link(c, "patient-u", l.ID)
		if err != nil || got.Failures != writers || got.Version != l.Version+writers {
			t.Fatalf("failures %d, version %d after %d updates (%v): an update was lost", got.Failures, got.Version, writers, err)
		}
	})

	t.Run("of twenty nodes acquiring one free lease exactly one gets it", func(t *testing.T) {
		exactlyOneWins(t, 20, "AcquireLease", func(i int) error {
			return s.AcquireLease(c, "pull:ex-race", fmt.Sprintf("node-%d", i), at, at.Add(time.Minute))
		})
	})

	t.Run("of twenty nodes taking over one lapsed lease exactly one gets it", func(t *testing.T) {
		later := at.Add(2 * time.Minute)
		exactlyOneWins(t, 20, "AcquireLease", func(i int) error {
			return s.AcquireLease(c, "pull:ex-race", fmt.Sprintf("other-%d", i), later, later.Add(time.Minute))
		})
	})
}

func testLeases(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	const name = "pull:london-care-record"
	now := at // nanoseconds and a zone: leases compare at milliseconds

	t.Run("a free lease is taken, and its holder extends it", func(t *testing.T) {
		if err := s.AcquireLease(c, name, "node-1", now, now.Add(time.Minute)); err != nil {
			t.Fatalf("AcquireLease(free) = %v", err)
		}
		if err := s.AcquireLease(c, name, "node-1", now.Add(30*time.Second), now.Add(2*time.Minute)); err != nil {
			t.Fatalf("AcquireLease(own) = %v, want it extended", err)
		}
	})

	t.Run("another holder is refused until the extended lease runs out", func(t *testing.T) {
		for _, when := range []time.Duration{time.Second, 90 * time.Second, 2 * time.Minute} {
			if err := s.AcquireLease(c, name, "node-2", now.Add(when), now.Add(when+time.Minute)); !errors.Is(err, fault.ErrConflict) {
				t.Fatalf("AcquireLease(held, %v in) = %v, want ErrConflict", when, err)
			}
		}
		if err := s.AcquireLease(c, "pull:bristol-hie", "node-2", now, now.Add(time.Minute)); err != nil {
			t.Fatalf("AcquireLease(another name) = %v; leases are independent", err)
		}
	})

	t.Run("only the holder releases", func(t *testing.T) {
		if err := s.ReleaseLease(c, name, "node-2"); err != nil {
			t.Fatalf("ReleaseLease(not the holder) = %v, want nil", err)
		}
		if err := s.AcquireLease(c, name, "node-2", now.Add(time.Minute), now.Add(2*time.Minute)); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("AcquireLease after another's release = %v, want ErrConflict: the lease is still node-1's", err)
		}
	})

	t.Run("once it ran out another takes it, and the first holder is refused", func(t *testing.T) {
		expired := now.Add(2*time.Minute + time.Millisecond)
		if err := s.AcquireLease(c, name, "node-2", expired, expired.Add(time.Minute)); err != nil {
			t.Fatalf("AcquireLease(expired) = %v", err)
		}
		if err := s.AcquireLease(c, name, "node-1", expired, expired.Add(time.Minute)); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("AcquireLease(the first holder, after losing it) = %v, want ErrConflict", err)
		}
	})

	t.Run("a released lease is free at once; releasing again changes nothing", func(t *testing.T) {
		for range 2 {
			if err := s.ReleaseLease(c, name, "node-2"); err != nil {
				t.Fatalf("ReleaseLease = %v", err)
			}
		}
		if err := s.ReleaseLease(c, "pull:never-taken", "node-2"); err != nil {
			t.Fatalf("ReleaseLease(never taken) = %v", err)
		}
		if err := s.AcquireLease(c, name, "node-1", now.Add(3*time.Minute), now.Add(4*time.Minute)); err != nil {
			t.Fatalf("AcquireLease(released) = %v", err)
		}
		if err := s.AcquireLease(c, name, "node-2", now.Add(3*time.Minute), now.Add(4*time.Minute)); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("AcquireLease(just taken) = %v, want ErrConflict", err)
		}
	})
}

func linkIDs(links []exchange.Link) []string {
	var out []string
	for _, l := range links {
		out = append(out, l.ID)
	}
	return out
}
