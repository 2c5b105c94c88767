package storetest

import (
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
)

func testAlerts(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	a, err := app.New(s, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	record := func(patientID string, i int, state audit.AlertState) audit.Event {
		e := event(patientID, i)
		e.Alert = state
		sealed, err := a.RecordAccess(c, e)
		if err != nil {
			t.Fatal(err)
		}
		return sealed
	}
	first := record("patient-a", 1, audit.AlertPending)
	record("patient-a", 2, audit.AlertNone)
	second := record("patient-b", 3, audit.AlertPending)
	third := record("patient-a", 4, audit.AlertPending)
	now := at.Add(time.Hour)

	t.Run("claims take pending alerts oldest first, once, across patients", func(t *testing.T) {
		got, err := s.ClaimAlerts(c, "node-1", now, now.Add(time.Minute), 2)
		if err != nil || len(got) != 2 || got[0].ID != first.ID || got[1].ID != second.ID {
			t.Fatalf("ClaimAlerts = %v, %v", eventIDs(got), err)
		}
		if got[0].Alert != audit.AlertClaimed || got[0].AlertAttempts != 1 || !got[0].AlertLease.Equal(utcMilli(now.Add(time.Minute))) {
			t.Fatalf("claimed event = %+v", got[0])
		}
		more, err := s.ClaimAlerts(c, "node-2", now, now.Add(time.Minute), 10)
		if err != nil || len(more) != 1 || more[0].ID != third.ID {
			t.Fatalf("a second dispatcher = %v, %v; want only the unclaimed one", eventIDs(more), err)
		}
	})

	t.Run("only the holder finishes; a lapsed lease lets another take it", func(t *testing.T) {
		if err := s.FinishAlert(c, "patient-a", first.ID, "node-2", audit.AlertSent); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("finishing another's claim = %v, want ErrConflict", err)
		}
		if err := s.FinishAlert(c, "patient-a", first.ID, "node-1", audit.AlertSent); err != nil {
			t.Fatal(err)
		}
		later := now.Add(2 * time.Minute)
		retaken, err := s.ClaimAlerts(c, "node-3", later, later.Add(time.Minute), 10)
		if err != nil || len(retaken) != 2 || retaken[0].AlertAttempts != 2 {
			t.Fatalf("after the leases lapsed = %v, %v; want the two unfinished, second attempts", eventIDs(retaken), err)
		}
		if err := s.FinishAlert(c, "patient-b", second.ID, "node-1", audit.AlertSent); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("the first holder after its lease lapsed = %v, want ErrConflict", err)
		}
		if err := s.FinishAlert(c, "patient-b", second.ID, "node-3", audit.AlertParked); err != nil {
			t.Fatal(err)
		}
		parked, err := s.ParkedAlerts(c, 10)
		if err != nil || len(parked) != 1 || parked[0].ID != second.ID || parked[0].Alert != audit.AlertParked {
			t.Fatalf("ParkedAlerts = %v, %v", eventIDs(parked), err)
		}
		var w audit.ChainWalk
		events, _, _ := s.AccessEvents(c, "patient-b", 0, 10)
		for _, e := range events {
			w.Older(e)
		}
		if b := w.End(); b != nil {
			t.Fatalf("alert state changes broke the chain: %+v", b)
		}
	})

	t.Run("a deferred alert waits until its time", func(t *testing.T) {
		held := record("patient-q", 5, audit.AlertPending)
		claimed, err := s.ClaimAlerts(c, "node-q", now.Add(time.Hour), now.Add(time.Hour+time.Minute), 10)
		if err != nil || !slices.Contains(eventIDs(claimed), held.ID) {
			t.Fatalf("claim = %v, %v", eventIDs(claimed), err)
		}
		for _, e := range claimed { // earlier tests' lapsed claims come along: settle them
			if e.ID != held.ID {
				if err := s.FinishAlert(c, e.PatientID, e.ID, "node-q", audit.AlertSent); err != nil {
					t.Fatal(err)
				}
			}
		}
		morning := now.Add(8 * time.Hour)
		if err := s.DeferAlert(c, "patient-q", held.ID, "node-other", morning); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("deferring another's claim = %v, want ErrConflict", err)
		}
		if err := s.DeferAlert(c, "patient-q", held.ID, "node-q", morning); err != nil {
			t.Fatal(err)
		}
		if early, err := s.ClaimAlerts(c, "node-q", morning.Add(-time.Millisecond), morning.Add(time.Hour), 10); err != nil || len(early) != 0 {
			t.Fatalf("before its time = %v, %v; want nothing", eventIDs(early), err)
		}
		due, err := s.ClaimAlerts(c, "node-q", morning, morning.Add(time.Minute), 10)
		if err != nil || len(due) != 1 || !due[0].AlertNotBefore.Equal(utcMilli(morning)) {
			t.Fatalf("at its time = %v, %v", eventIDs(due), err)
		}
		if err := s.FinishAlert(c, "patient-q", held.ID, "node-q", audit.AlertSent); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("of dispatchers claiming at once each event goes to one", func(t *testing.T) {
		for i := 0; i < 20; i++ {
			record("patient-r", 10+i, audit.AlertPending)
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for n := 0; n < 5; n++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.ClaimAlerts(c, "racer", now, now.Add(time.Minute), 3)
					if err != nil {
						t.Errorf("ClaimAlerts: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, e := range got {
						seen[e.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) < 20 {
			t.Fatalf("%d events claimed, want at least the 20 new ones", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("event %s claimed %d times", id, n)
			}
		}
	})

	t.Run("alert windows", func(t *testing.T) {
		if open, err := s.AlertWindowOpen(c, "patient-a", "org:RR8", now); err != nil || open {
			t.Fatalf("no window yet: %v, %v", open, err)
		}
		if err := s.OpenAlertWindow(c, "patient-a", "org:RR8", now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.OpenAlertWindow(c, "patient-a", "org:RR8", now.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			patient string
			at      time.Time
			want    bool
		}{{"patient-a", now.Add(9 * time.Minute), true}, {"patient-a", now.Add(10 * time.Minute), false}, {"patient-b", now, false}} {
			if open, err := s.AlertWindowOpen(c, tc.patient, "org:RR8", tc.at); err != nil || open != tc.want {
				t.Errorf("window of %s at %v = %v, %v; want %v", tc.patient, tc.at, open, err, tc.want)
			}
		}
	})
}

func testDevices(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	d, err := alert.NewDevice("patient-d", "fcm-token-1", "android", "1.0.0", "en-GB", at)
	if err != nil {
		t.Fatal(err)
	}
	stored, created, err := s.PutDevice(c, d)
	if err != nil || !created || !reflect.DeepEqual(stored, d) {
		t.Fatalf("PutDevice = %+v, %v, %v\nwant %+v", stored, created, err, d)
	}
	again, _ := alert.NewDevice("patient-d", "fcm-token-1", "android", "1.1.0", "cy-GB", at.Add(time.Hour))
	refreshed, created, err := s.PutDevice(c, again)
	if err != nil || created || !refreshed.CreatedAt.Equal(d.CreatedAt) || refreshed.AppVersion != "1.1.0" || !refreshed.RefreshedAt.Equal(again.RefreshedAt) {
		t.Fatalf("re-registering = %+v, created %v, %v", refreshed, created, err)
	}
	other, _ := alert.NewDevice("patient-d", "fcm-token-2", "ios", "1.0.0", "en-GB", at.Add(-300*24*time.Hour))
	if _, _, err := s.PutDevice(c, other); err != nil {
		t.Fatal(err)
	}
	if list, err := s.Devices(c, "patient-d"); err != nil || len(list) != 2 {
		t.Fatalf("Devices = %d, %v", len(list), err)
	}
	if list, err := s.Devices(c, "patient-e"); err != nil || len(list) != 0 {
		t.Fatalf("another patient's devices = %d, %v", len(list), err)
	}
	if err := s.DeleteDevice(c, "patient-e", d.ID); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("deleting another patient's device = %v", err)
	}
	if n, err := s.DeleteStaleDevices(c, at.Add(-270*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteStaleDevices = %d, %v", n, err)
	}
	if err := s.DeleteDevice(c, "patient-d", d.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Devices(c, "patient-d"); len(list) != 0 {
		t.Fatalf("%d devices left", len(list))
	}
}

func eventIDs(events []audit.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.ID)
	}
	return out
}
