package mongo_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/adapters/mongo"
	"github.com/kith-health/kith/adapters/mongo/mongotest"
	"github.com/kith-health/kith/migrations"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func knownSteps(t *testing.T) []int {
	t.Helper()
	steps, err := migrations.Mongo()
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for _, s := range steps {
		versions = append(versions, s.Version)
	}
	return versions
}

// collection opens a plain driver collection on the store's database, for looking at
// or planting what the store itself would not write.
func collection(t *testing.T, uri, database, name string) *driver.Collection {
	t.Helper()
	client, err := driver.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(context.Background()) })
	return client.Database(database).Collection(name)
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	uri, backend := mongotest.URI(t)
	t.Logf("store backend: %s", backend)
	known := knownSteps(t)

	t.Run("a fresh database is behind, then migrated once and current", func(t *testing.T) {
		s := open(t, uri)
		c := ctx(t)
		if err := s.CheckSchema(c); err == nil || !strings.Contains(err.Error(), "run `kith migrate`") {
			t.Fatalf("CheckSchema before Migrate = %v, want a request to run kith migrate", err)
		}
		applied, err := s.Migrate(c)
		if err != nil || !slices.Equal(applied, known) {
			t.Fatalf("Migrate = %v, %v; want %v applied", applied, err, known)
		}
		if err := s.CheckSchema(c); err != nil {
			t.Fatalf("CheckSchema after Migrate: %v", err)
		}
		again, err := s.Migrate(c)
		if err != nil || len(again) != 0 {
			t.Fatalf("Migrate again = %v, %v; want nothing applied", again, err)
		}
	})

	t.Run("the indexes the steps name exist, unique where asked", func(t *testing.T) {
		s, database := openAt(t, uri)
		if _, err := s.Migrate(ctx(t)); err != nil {
			t.Fatal(err)
		}
		for _, ix := range []struct {
			coll, name string
			unique     bool
		}{
			{"access_events", "access_events_by_chain", true},
			{"grants", "grants_by_request_key", true},
			{"share_codes", "share_codes_by_hash", true},
			{"viewer_sessions", "viewer_sessions_by_token", true},
			{"access_events", "access_events_alerts", false},
			{"devices", "devices_by_patient", false},
			{"devices", "devices_by_refresh", false},
			{"exchange_links", "exchange_links_by_exchange", true},
			{"exchange_links", "exchange_links_due", false},
		} {
			specs, err := collection(t, uri, database, ix.coll).Indexes().ListSpecifications(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(specs, func(s driver.IndexSpecification) bool { return s.Name == ix.name })
			if i < 0 {
				t.Fatalf("%s has no index %s: %+v", ix.coll, ix.name, specs)
			}
			if unique := specs[i].Unique != nil && *specs[i].Unique; unique != ix.unique {
				t.Fatalf("%s: index %s unique = %v, want %v", ix.coll, ix.name, unique, ix.unique)
			}
		}
	})

	t.Run("a node waits for another's migration lock and takes it over once it expires", func(t *testing.T) {
		s, database := openAt(t, uri)
		records := collection(t, uri, database, "schema_migrations")
		if _, err := records.InsertOne(ctx(t), bson.D{{Key: "_id", Value: "lock"}, {Key: "owner", Value: "another-node"},
			{Key: "expires_at", Value: time.Now().Add(time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx(t), 500*time.Millisecond)
		defer cancel()
		if applied, err := s.Migrate(short); err == nil || !strings.Contains(err.Error(), "migration lock") {
			t.Fatalf("Migrate while another node holds the lock = %v, %v; want it to wait and give up", applied, err)
		}
		if err := s.CheckSchema(ctx(t)); err == nil {
			t.Fatal("a step was applied while another node held the lock")
		}
		if _, err := records.UpdateOne(ctx(t), bson.D{{Key: "_id", Value: "lock"}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "expires_at", Value: time.Now().Add(-time.Second)}}}}); err != nil {
			t.Fatal(err)
		}
		if applied, err := s.Migrate(ctx(t)); err != nil || !slices.Equal(applied, known) {
			t.Fatalf("Migrate after the lock expired = %v, %v; want %v applied", applied, err, known)
		}
		if n, err := records.CountDocuments(ctx(t), bson.D{{Key: "_id", Value: "lock"}}); err != nil || n != 0 {
			t.Fatalf("the migration lock is still held (%d, %v)", n, err)
		}
	})

	t.Run("indexes already there with the same definition are left alone", func(t *testing.T) {
		first, database := openAt(t, uri)
		if _, err := first.Migrate(ctx(t)); err != nil {
			t.Fatal(err)
		}
		// Forget the record, as if a step had been cut short after its indexes.
		if _, err := collection(t, uri, database, "schema_migrations").DeleteMany(ctx(t), bson.D{}); err != nil {
			t.Fatal(err)
		}
		applied, err := first.Migrate(ctx(t))
		if err != nil || !slices.Equal(applied, known) {
			t.Fatalf("Migrate over existing indexes = %v, %v; want %v applied", applied, err, known)
		}
	})

	t.Run("a database from a newer kith is refused", func(t *testing.T) {
		s, database := openAt(t, uri)
		if _, err := s.Migrate(ctx(t)); err != nil {
			t.Fatal(err)
		}
		future := len(known) + 1
		if _, err := collection(t, uri, database, "schema_migrations").InsertOne(ctx(t),
			bson.D{{Key: "_id", Value: "9999"}, {Key: "version", Value: future}, {Key: "name", Value: "from_the_future"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Migrate(ctx(t)); err == nil || !strings.Contains(err.Error(), "run a newer kith") {
			t.Fatalf("Migrate on a newer schema = %v, want a refusal naming a newer kith", err)
		}
		if err := s.CheckSchema(ctx(t)); err == nil || !strings.Contains(err.Error(), "run a newer kith") {
			t.Fatalf("CheckSchema on a newer schema = %v, want a refusal naming a newer kith", err)
		}
	})

	t.Run("two nodes migrating one fresh database at once record each step once", func(t *testing.T) {
		database := mongotest.Database(t)
		var wg sync.WaitGroup
		results := make([][]int, 2)
		errs := make([]error, 2)
		for i := range 2 {
			s, err := mongo.Open(ctx(t), uri, database)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(context.Background())
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = s.Migrate(ctx(t))
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("node %d: Migrate: %v", i, err)
			}
		}
		if all := slices.Concat(results...); !slices.Equal(all, known) {
			t.Fatalf("nodes applied %v and %v; want %v between them, once", results[0], results[1], known)
		}
		records := collection(t, uri, database, "schema_migrations")
		n, err := records.CountDocuments(ctx(t), bson.D{{Key: "version", Value: bson.D{{Key: "$exists", Value: true}}}})
		if err != nil || n != int64(len(known)) {
			t.Fatalf("%d step records (%v), want %d", n, err, len(known))
		}
		if n, err := records.CountDocuments(ctx(t), bson.D{{Key: "_id", Value: "lock"}}); err != nil || n != 0 {
			t.Fatalf("the migration lock is still held (%d, %v)", n, err)
		}
	})
}
