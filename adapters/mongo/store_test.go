package mongo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/mongo"
	"github.com/kith-health/kith/adapters/mongo/mongotest"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/storetest"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	uri, backend := mongotest.URI(t)
	t.Logf("store backend: %s", backend)
	storetest.Run(t, func(t *testing.T) app.Store {
		s, err := mongo.Open(context.Background(), uri, mongotest.Database(t))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// open returns a store on a fresh database at uri, not migrated, closed when t ends.
func open(t *testing.T, uri string) *mongo.Store {
	t.Helper()
	s, _ := openAt(t, uri)
	return s
}

// openAt is open that also names the database, for tests that look inside it.
func openAt(t *testing.T, uri string) (*mongo.Store, string) {
	t.Helper()
	database := mongotest.Database(t)
	s, err := mongo.Open(context.Background(), uri, database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, database
}

// MongoDB quotes the clashing key values in a duplicate key error; those are personal
// data and errors reach the logs.
func TestErrorsDoNotQuoteDocuments(t *testing.T) {
	t.Parallel()
	uri, backend := mongotest.URI(t)
	t.Logf("store backend: %s", backend)
	s := open(t, uri)
	if _, err := s.Migrate(ctx(t)); err != nil {
		t.Fatal(err)
	}
	claims := patient.Claims{
		Issuer: "https://idp.example", Subject: "subject-4f1c", NHSNumber: "9434765919",
		BirthDate: "1987-06-05", Proofing: patient.ProofingP9,
	}
	for i, id := range []string{"patient-1", "patient-1"} {
		p, err := patient.New(id, claims, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		err = s.CreatePatient(ctx(t), p)
		if i == 0 {
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("CreatePatient(%s) again = %v, want ErrConflict", id, err)
		}
		for _, secret := range []string{claims.Subject, claims.NHSNumber.Value(), claims.BirthDate.Value(), "idp.example"} {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error quotes stored data (%q): %v", secret, err)
			}
		}
		t.Logf("conflict reads: %v", err)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()

	t.Run("a server that is down does not stop a node starting; Ping reports it", func(t *testing.T) {
		s, err := mongo.Open(context.Background(), "mongodb://127.0.0.1:1/", "kith")
		if err != nil {
			t.Fatalf("Open with the server down: %v", err)
		}
		defer s.Close(context.Background())
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.Ping(c); !errors.Is(err, fault.ErrUnavailable) {
			t.Fatalf("Ping with the server down = %v, want ErrUnavailable", err)
		}
	})

	for name, tc := range map[string]struct{ uri, database, want string }{
		"not a MongoDB URI":     {"postgres://db.example/kith", "kith", "invalid MongoDB URI"},
		"a malformed password":  {"mongodb://kith:s3cr%zzet@db.example/", "kith", "password is malformed"},
		"no database name":      {"mongodb://db.example/", "", "database name is empty"},
		"a dot in the database": {"mongodb://db.example/", "kith.prod", "not allow"},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			_, err := mongo.Open(context.Background(), tc.uri, tc.database)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want an error saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "%zz") {
				t.Fatalf("Open's error quotes the password: %v", err)
			}
		})
	}
}
