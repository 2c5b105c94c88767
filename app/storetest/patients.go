package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

func newPatient(t *testing.T, subject string) patient.Patient {
	t.Helper()
	p, err := patient.New(patient.IDFor("https://idp.example", subject), patient.Claims{
		Issuer: "https://idp.example", Subject: subject,
		NHSNumber: "9434765919", BirthDate: "1987-06-05", Proofing: patient.ProofingP9,
		Name: patient.Name{Given: "Amelia", Family: "Hughes"},
	}, at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testPatients(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	p := newPatient(t, "alice")
	if err := s.CreatePatient(c, p); err != nil {
		t.Fatalf("CreatePatient: %v", err)
	}

	t.Run("read back equals what was written, in UTC milliseconds", func(t *testing.T) {
		got, err := s.Patient(c, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != p {
			t.Fatalf("Patient = %+v\nwant %+v", got, p)
		}
		if got.CreatedAt.Location() != time.UTC || got.CreatedAt.Nanosecond()%1e6 != 0 {
			t.Fatalf("CreatedAt %v is not UTC milliseconds", got.CreatedAt)
		}
	})

	t.Run("unknown ids are ErrNotFound, whoever the subject's namesake", func(t *testing.T) {
		for _, id := range []string{app.NewID(), patient.IDFor("https://idp.example", "bob"), patient.IDFor("https://other.example", "alice")} {
			if _, err := s.Patient(c, id); !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("Patient(%s) = %v, want ErrNotFound", id, err)
			}
		}
	})

	t.Run("a second account for the same person is ErrConflict and changes nothing", func(t *testing.T) {
		again := newPatient(t, "alice")
		again.Proofing = patient.ProofingP0
		if err := s.CreatePatient(c, again); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("CreatePatient(same person) = %v, want ErrConflict", err)
		}
		if got, _ := s.Patient(c, p.ID); got != p {
			t.Fatalf("the losing creation changed the account: %+v", got)
		}
	})

	t.Run("update writes the change and bumps the version", func(t *testing.T) {
		later := at.Add(time.Hour)
		got, err := s.UpdatePatient(c, p.ID, func(q *patient.Patient) error {
			q.Refresh(patient.Claims{Proofing: patient.ProofingP5}, later)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdatePatient: %v", err)
		}
		if got.Proofing != patient.ProofingP5 || got.Version != p.Version+1 {
			t.Fatalf("UpdatePatient returned %+v", got)
		}
		read, err := s.Patient(c, p.ID)
		if err != nil || read != got {
			t.Fatalf("Patient after update = %+v, %v\nwant %+v", read, err, got)
		}
	})

	t.Run("an update that fails writes nothing", func(t *testing.T) {
		before, _ := s.Patient(c, p.ID)
		refused := errors.New("refused")
		_, err := s.UpdatePatient(c, p.ID, func(q *patient.Patient) error {
			q.Proofing = patient.ProofingP0
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("UpdatePatient = %v, want the update's error", err)
		}
		after, _ := s.Patient(c, p.ID)
		if after != before {
			t.Fatalf("failed update changed the account: %+v", after)
		}
	})

	t.Run("updating an unknown account is ErrNotFound", func(t *testing.T) {
		_, err := s.UpdatePatient(c, app.NewID(), func(*patient.Patient) error { return nil })
		if !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("UpdatePatient(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func testPatientRaces(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	const racers = 20

	t.Run("of twenty concurrent creations for one subject exactly one wins", func(t *testing.T) {
		exactlyOneWins(t, racers, "CreatePatient", func(int) error { return s.CreatePatient(c, newPatient(t, "racer")) })
	})

	t.Run("twenty concurrent first calls open one account", func(t *testing.T) {
		a, err := app.New(s, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		caller := identity.Principal{Kind: identity.KindPatient, Patient: patient.Claims{
			Issuer: "https://idp.example", Subject: "first-timer", Proofing: patient.ProofingP9,
		}}
		ids := make(chan string, racers)
		var wg sync.WaitGroup
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := a.Me(c, caller)
				if err != nil {
					t.Errorf("Me: %v", err)
					return
				}
				ids <- p.ID
			}()
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		if len(seen) != 1 {
			t.Fatalf("concurrent first calls saw %d different accounts", len(seen))
		}
	})

	t.Run("concurrent updates are all applied, none lost", func(t *testing.T) {
		p := newPatient(t, "busy")
		if err := s.CreatePatient(c, p); err != nil {
			t.Fatal(err)
		}
		const writers = 10
		var wg sync.WaitGroup
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each update moves the stored time on by 1 ms: a lost update shows as
				// a total short of writers ms.
				_, err := s.UpdatePatient(c, p.ID, func(q *patient.Patient) error {
					q.UpdatedAt = q.UpdatedAt.Add(time.Millisecond)
					return nil
				})
				if err != nil {
					t.Errorf("UpdatePatient: %v", err)
				}
			}()
		}
		wg.Wait()
		got, err := s.Patient(c, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != p.Version+writers {
			t.Fatalf("version %d after %d updates from %d", got.Version, writers, p.Version)
		}
		if want := p.UpdatedAt.Add(writers * time.Millisecond); !got.UpdatedAt.Equal(want) {
			t.Fatalf("UpdatedAt %v after %d updates, want %v: an update was lost", got.UpdatedAt, writers, want)
		}
	})
}
