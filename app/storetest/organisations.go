package storetest

import (
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/organisation"
)

// inlineJWKS has the spacing, key order and escapes a re-encoding store would change:
// stores must give back exactly these bytes.
var inlineJWKS = []byte("{\"keys\": [\n  {\"kty\":\"EC\", \"crv\":\"P-256\", \"kid\":\"k\\u0031\",\n   \"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\", \"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}\n]}\n")

func newOrganisation(t *testing.T, code, jwksURL string, jwks []byte) organisation.Organisation {
	t.Helper()
	o, err := organisation.New(organisation.Registration{
		ODSCode: code, Name: "Organisation " + code, JWKSURL: jwksURL, JWKS: jwks,
	}, at)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func testOrganisations(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	t.Run("an empty store lists none", func(t *testing.T) {
		all, err := s.Organisations(c)
		if err != nil || len(all) != 0 {
			t.Fatalf("Organisations = %v, %v; want none", all, err)
		}
	})

	byURL := newOrganisation(t, "RR8", "https://rr8.example/jwks.json", nil)
	inline := newOrganisation(t, "A81001", "", inlineJWKS)
	digits := newOrganisation(t, "8HN12", "https://8hn12.example/jwks.json", nil)
	for _, o := range []organisation.Organisation{byURL, inline, digits} {
		if err := s.CreateOrganisation(c, o); err != nil {
			t.Fatalf("CreateOrganisation(%s): %v", o.ODSCode, err)
		}
	}

	t.Run("read back equals what was written, either key source, in UTC milliseconds", func(t *testing.T) {
		for _, want := range []organisation.Organisation{byURL, inline} {
			got, err := s.Organisation(c, want.ODSCode)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Organisation(%s) = %+v\nwant %+v", want.ODSCode, got, want)
			}
			for _, ts := range []time.Time{got.CreatedAt, got.UpdatedAt} {
				if ts.Location() != time.UTC || ts.Nanosecond()%1e6 != 0 {
					t.Fatalf("time %v is not UTC milliseconds", ts)
				}
			}
		}
		got, _ := s.Organisation(c, inline.ODSCode)
		if string(got.JWKS) != string(inlineJWKS) || got.JWKSURL != "" {
			t.Fatalf("inline JWKS came back as %q (url %q)", got.JWKS, got.JWKSURL)
		}
	})

	t.Run("unknown codes are ErrNotFound", func(t *testing.T) {
		if _, err := s.Organisation(c, "ZZZ99"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("Organisation(unknown) = %v, want ErrNotFound", err)
		}
		_, err := s.UpdateOrganisation(c, "ZZZ99", func(*organisation.Organisation) error { return nil })
		if !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("UpdateOrganisation(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("a second registration of a code is ErrConflict and changes nothing", func(t *testing.T) {
		again := newOrganisation(t, "RR8", "", inlineJWKS)
		if err := s.CreateOrganisation(c, again); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("CreateOrganisation(taken code) = %v, want ErrConflict", err)
		}
		if got, _ := s.Organisation(c, "RR8"); !reflect.DeepEqual(got, byURL) {
			t.Fatalf("the losing registration changed the organisation: %+v", got)
		}
	})

	t.Run("the list is ordered by ODS code", func(t *testing.T) {
		all, err := s.Organisations(c)
		if err != nil {
			t.Fatal(err)
		}
		want := []organisation.Organisation{digits, inline, byURL}
		if !reflect.DeepEqual(all, want) {
			t.Fatalf("Organisations = %+v\nwant %+v", all, want)
		}
	})

	t.Run("update writes the change, swapping key source, and bumps the version", func(t *testing.T) {
		later := at.Add(time.Hour)
		got, err := s.UpdateOrganisation(c, byURL.ODSCode, func(o *organisation.Organisation) error {
			return o.Change("Renamed Trust", "", inlineJWKS, later)
		})
		if err != nil {
			t.Fatalf("UpdateOrganisation: %v", err)
		}
		if got.Name != "Renamed Trust" || got.JWKSURL != "" || string(got.JWKS) != string(inlineJWKS) ||
			got.Version != byURL.Version+1 || !got.UpdatedAt.Equal(later.Truncate(time.Millisecond)) {
			t.Fatalf("UpdateOrganisation returned %+v", got)
		}
		read, err := s.Organisation(c, byURL.ODSCode)
		if err != nil || !reflect.DeepEqual(read, got) {
			t.Fatalf("Organisation after update = %+v, %v\nwant %+v", read, err, got)
		}
		back, err := s.UpdateOrganisation(c, byURL.ODSCode, func(o *organisation.Organisation) error {
			return o.Change(o.Name, "https://rr8.example/jwks.json", nil, later)
		})
		if err != nil || back.JWKS != nil || back.JWKSURL == "" || back.Version != byURL.Version+2 {
			t.Fatalf("UpdateOrganisation back to a URL = %+v, %v", back, err)
		}
	})

	t.Run("an update that fails writes nothing", func(t *testing.T) {
		before, _ := s.Organisation(c, inline.ODSCode)
		refused := errors.New("refused")
		_, err := s.UpdateOrganisation(c, inline.ODSCode, func(o *organisation.Organisation) error {
			o.Status = organisation.Suspended
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("UpdateOrganisation = %v, want the update's error", err)
		}
		if after, _ := s.Organisation(c, inline.ODSCode); !reflect.DeepEqual(after, before) {
			t.Fatalf("failed update changed the organisation: %+v", after)
		}
	})
}

func testOrganisationRaces(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	t.Run("of twenty concurrent registrations of one code exactly one wins", func(t *testing.T) {
		const racers = 20
		exactlyOneWins(t, racers, "CreateOrganisation", func(int) error {
			return s.CreateOrganisation(c, newOrganisation(t, "RAC01", "https://rac01.example/jwks.json", nil))
		})
	})

	t.Run("concurrent updates are all applied, none lost", func(t *testing.T) {
		o := newOrganisation(t, "BUSY1", "https://busy1.example/jwks.json", nil)
		if err := s.CreateOrganisation(c, o); err != nil {
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
				_, err := s.UpdateOrganisation(c, o.ODSCode, func(q *organisation.Organisation) error {
					q.UpdatedAt = q.UpdatedAt.Add(time.Millisecond)
					return nil
				})
				if err != nil {
					t.Errorf("UpdateOrganisation: %v", err)
				}
			}()
		}
		wg.Wait()
		got, err := s.Organisation(c, o.ODSCode)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != o.Version+writers || !got.UpdatedAt.Equal(o.UpdatedAt.Add(writers*time.Millisecond)) {
			t.Fatalf("version %d, UpdatedAt %v after %d updates from version %d at %v: an update was lost",
				got.Version, got.UpdatedAt, writers, o.Version, o.UpdatedAt)
		}
	})
}
