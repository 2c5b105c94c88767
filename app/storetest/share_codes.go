package storetest

import (
	"errors"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/domain/sharecode"
)

func newShareCode(t *testing.T, patientID, hash string, maxViews int, created time.Time) sharecode.ShareCode {
	t.Helper()
	c, err := sharecode.New(sharecode.Request{ID: app.NewID(), PatientID: patientID, Hash: hash, Label: "For the A&E registrar",
		Categories: []record.Category{record.Allergies, record.Medications}, MaxViews: maxViews,
		Lifetime: time.Hour, Organisation: "RR8", RequireBirthDate: true}, created)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testShareCodes(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	code := newShareCode(t, "patient-s", "hash-1", 2, at)
	if err := s.CreateShareCode(c, code); err != nil {
		t.Fatal(err)
	}

	t.Run("read back by id and by hash, exactly, in UTC milliseconds", func(t *testing.T) {
		got, err := s.ShareCode(c, "patient-s", code.ID)
		if err != nil || !reflect.DeepEqual(got, code) {
			t.Fatalf("ShareCode = %+v, %v\nwant %+v", got, err, code)
		}
		byHash, err := s.ShareCodeByHash(c, "hash-1")
		if err != nil || !reflect.DeepEqual(byHash, code) {
			t.Fatalf("ShareCodeByHash = %+v, %v", byHash, err)
		}
		if _, err := s.ShareCode(c, "patient-t", code.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("another patient's code = %v, want ErrNotFound", err)
		}
		if _, err := s.ShareCodeByHash(c, "hash-unknown"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("unknown hash = %v, want ErrNotFound", err)
		}
	})

	t.Run("a taken hash or id is ErrConflict", func(t *testing.T) {
		if err := s.CreateShareCode(c, newShareCode(t, "patient-t", "hash-1", 0, at)); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("taken hash = %v", err)
		}
		dup := newShareCode(t, "patient-s", "hash-2", 0, at)
		dup.ID = code.ID
		if err := s.CreateShareCode(c, dup); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("taken id = %v", err)
		}
	})

	t.Run("uses count up to the limit, then the code is not found", func(t *testing.T) {
		for want := 1; want <= 2; want++ {
			used, err := s.UseShareCode(c, "hash-1", at)
			if err != nil || used.Views != want || used.Version != int64(want+1) {
				t.Fatalf("use %d = views %d v%d, %v", want, used.Views, used.Version, err)
			}
		}
		if _, err := s.UseShareCode(c, "hash-1", at); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("a used-up code = %v, want ErrNotFound", err)
		}
	})

	t.Run("expired, revoked and unknown codes are not found alike", func(t *testing.T) {
		unlimited := newShareCode(t, "patient-s", "hash-3", 0, at)
		if err := s.CreateShareCode(c, unlimited); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if _, err := s.UseShareCode(c, "hash-3", at); err != nil {
				t.Fatalf("an unlimited code: %v", err)
			}
		}
		if _, err := s.UseShareCode(c, "hash-3", unlimited.ExpiresAt); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("at its expiry = %v, want ErrNotFound", err)
		}
		revoked, err := s.UpdateShareCode(c, "patient-s", unlimited.ID, func(sc *sharecode.ShareCode) error {
			sc.Revoke(at)
			return nil
		})
		if err != nil || revoked.RevokedAt.IsZero() || revoked.Views != 3 {
			t.Fatalf("revoke = %+v, %v", revoked, err)
		}
		if _, err := s.UseShareCode(c, "hash-3", at); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("a revoked code = %v, want ErrNotFound", err)
		}
		if _, err := s.UseShareCode(c, "hash-nobody", at); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("an unknown code = %v, want ErrNotFound", err)
		}
	})

	t.Run("a patient's codes, newest first", func(t *testing.T) {
		later := newShareCode(t, "patient-s", "hash-4", 1, at.Add(time.Hour))
		if err := s.CreateShareCode(c, later); err != nil {
			t.Fatal(err)
		}
		all, err := s.ShareCodes(c, "patient-s")
		if err != nil || len(all) != 3 || all[0].ID != later.ID {
			t.Fatalf("ShareCodes = %d, %v", len(all), err)
		}
	})

	t.Run("sessions read back and end once", func(t *testing.T) {
		v := sharecode.Open(app.NewID(), "token-hash-1", code, sharecode.Viewer{Name: "Dr A", Role: "Registrar"}, "RR8", at)
		if err := s.CreateViewerSession(c, v); err != nil {
			t.Fatal(err)
		}
		got, err := s.ViewerSession(c, "token-hash-1")
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Fatalf("ViewerSession = %+v, %v\nwant %+v", got, err, v)
		}
		for i := 0; i < 2; i++ {
			if err := s.EndViewerSession(c, "token-hash-1", at.Add(time.Duration(i+1)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		ended, _ := s.ViewerSession(c, "token-hash-1")
		if !ended.EndedAt.Equal(utcMilli(at.Add(time.Minute))) {
			t.Fatalf("EndedAt = %v, want the first end", ended.EndedAt)
		}
		if _, err := s.ViewerSession(c, "token-hash-none"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("unknown session = %v", err)
		}
		if err := s.EndViewerSession(c, "token-hash-none", at); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("ending an unknown session = %v", err)
		}
	})
}

func testShareCodeRaces(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	t.Run("of twenty redeemers of the last view exactly one wins", func(t *testing.T) {
		code := newShareCode(t, "patient-r", "hash-race", 3, at)
		if err := s.CreateShareCode(c, code); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if _, err := s.UseShareCode(c, "hash-race", at); err != nil {
				t.Fatal(err)
			}
		}
		exactlyOneWins(t, 20, "use the last view", func(int) error {
			_, err := s.UseShareCode(c, "hash-race", at)
			if errors.Is(err, fault.ErrNotFound) {
				return fault.ErrConflict // lost the race: for the helper, a conflict
			}
			return err
		})
	})

	t.Run("concurrent attempts are all counted, each seeing its own count", func(t *testing.T) {
		window := at.Truncate(time.Minute)
		var mu sync.Mutex
		var counts []int
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := s.CountAttempt(c, "addr:192.0.2.1", window, window.Add(time.Hour))
				if err != nil {
					t.Errorf("CountAttempt: %v", err)
					return
				}
				mu.Lock()
				counts = append(counts, n)
				mu.Unlock()
			}()
		}
		wg.Wait()
		sort.Ints(counts)
		for i, n := range counts {
			if n != i+1 {
				t.Fatalf("counts %v, want 1 to 20 once each", counts)
			}
		}
		if n, err := s.CountAttempt(c, "addr:192.0.2.1", window.Add(time.Minute), window.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("a new window starts at 1: %d, %v", n, err)
		}
		if n, err := s.CountAttempt(c, "addr:192.0.2.2", window, window.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("another key starts at 1: %d, %v", n, err)
		}
	})
}
