// Package mongo is the production Store: MongoDB through go.mongodb.org/mongo-driver/v2.
// Every change is one conditional single-document write, so it needs no transactions
// and runs on a sharded cluster (shard key: the patient id) or on FerretDB in tests.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
)

// Collection names. The index steps in migrations/mongo name them too.
const (
	patientsCollection     = "patients"
	accessEventsCollection = "access_events"
	migrationsCollection   = "schema_migrations"
)

// Default timeouts, chosen so that a request meeting a dead database fails with
// ErrUnavailable in seconds instead of hanging on the driver's 30 s default. A URI
// that sets serverSelectionTimeoutMS or connectTimeoutMS overrides them.
const (
	defaultServerSelectionTimeout = 5 * time.Second
	defaultConnectTimeout         = 5 * time.Second
)

// Store is the MongoDB app.Store.
type Store struct {
	client       *mongo.Client
	db           *mongo.Database
	patients     *mongo.Collection
	accessEvents *mongo.Collection
	migrations   *mongo.Collection
	chains       chainLocks
}

var _ app.Store = (*Store)(nil)

// Open prepares a client for the database named database at uri. It does not wait for
// the server: the driver connects in the background, so a node can start while the
// database is down, report not ready through Ping, and recover without a restart.
// It fails only on a malformed URI or database name. It does not migrate: see Migrate
// and CheckSchema.
func Open(_ context.Context, uri, database string) (*Store, error) {
	if err := validDatabaseName(database); err != nil {
		return nil, err
	}
	opts := options.Client().
		SetAppName("kith").
		SetServerSelectionTimeout(defaultServerSelectionTimeout).
		SetConnectTimeout(defaultConnectTimeout).
		ApplyURI(uri)
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, uriError(err)
	}
	db := client.Database(database)
	return &Store{
		client:       client,
		db:           db,
		patients:     db.Collection(patientsCollection),
		accessEvents: db.Collection(accessEventsCollection),
		migrations:   db.Collection(migrationsCollection),
	}, nil
}

// uriError explains a URI the driver refused. The driver's message can quote the part
// of the password it could not decode, and start-up errors reach the log.
func uriError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "password") {
		msg = "the password is malformed (percent-encode any of : / @ % in it)"
	}
	return fmt.Errorf("invalid MongoDB URI: %s", msg)
}

// validDatabaseName applies MongoDB's rules up front, so a typo in configuration is
// reported at start-up rather than on the first write.
func validDatabaseName(name string) error {
	switch {
	case name == "":
		return errors.New("MongoDB database name is empty")
	case len(name) > 63:
		return fmt.Errorf("MongoDB database name %q is longer than 63 bytes", name)
	case strings.ContainsAny(name, "/\\. \"$*<>:|?\x00"):
		return fmt.Errorf("MongoDB database name %q contains a character MongoDB does not allow (/\\. \"$*<>:|?)", name)
	}
	return nil
}

// Ping asks the primary to answer, within ctx and the server selection timeout.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("mongo: ping: %w: %w", redacted{err}, fault.ErrUnavailable)
	}
	return nil
}

// Close disconnects, waiting within ctx for operations in flight.
func (s *Store) Close(ctx context.Context) error {
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("mongo: disconnect: %w", err)
	}
	return nil
}
