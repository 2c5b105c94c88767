package mongo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/migrations"
)

// migrationRecord is one applied step in schema_migrations; _id is the version as the
// step's file names it ("0001"), so recording a step twice is a duplicate key.
type migrationRecord struct {
	ID        string        `bson:"_id"`
	Version   int           `bson:"version"`
	Name      string        `bson:"name"`
	AppliedAt bson.DateTime `bson:"applied_at"`
}

// Migrate applies every embedded step not yet applied, in order, recording each in
// schema_migrations once its indexes exist. Running it again is a no-op. MongoDB has no
// DDL transactions, so a step cut short is simply applied again next time: creating an
// index that already exists with the same definition does nothing. Nodes migrating at
// once take turns through a lock (see migration_lock.go), so a step is recorded once.
// It reports the versions it applied.
func (s *Store) Migrate(ctx context.Context) (applied []int, err error) {
	steps, plans, err := loadSteps()
	if err != nil {
		return nil, err
	}
	current, err := s.schemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if err := migrations.RefuseNewer(current, steps); err != nil {
		return nil, err
	}
	if current == len(steps) {
		return nil, nil
	}

	ctx, release, err := s.lockMigrations(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := release(); err == nil {
			err = rerr
		}
	}()
	// Another node may have migrated while we waited for the lock.
	if current, err = s.schemaVersion(ctx); err != nil {
		return nil, err
	}
	if err := migrations.RefuseNewer(current, steps); err != nil {
		return nil, err
	}
	for i, step := range steps[current:] {
		recorded, err := s.apply(ctx, step, plans[current+i])
		if err != nil {
			if cause := context.Cause(ctx); cause != nil {
				return applied, fmt.Errorf("%w (%v)", err, cause)
			}
			return applied, err
		}
		if recorded {
			applied = append(applied, step.Version)
		}
	}
	return applied, nil
}

// apply creates a step's indexes, then records the step. It reports false when the
// record was already there, which only happens if another node's lease ran out while
// it was still migrating; the indexes are the same either way.
func (s *Store) apply(ctx context.Context, step migrations.Step, p plan) (bool, error) {
	label := fmt.Sprintf("migration %04d_%s", step.Version, step.Name)
	for _, ix := range p.Indexes {
		opts := options.Index().SetName(ix.Name)
		// Options are left unset unless asked for, so the definition matches one
		// created without them and re-creating it stays a no-op.
		if ix.Unique {
			opts.SetUnique(true)
		}
		if ix.Sparse {
			opts.SetSparse(true)
		}
		_, err := s.db.Collection(ix.Collection).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.keys, Options: opts})
		if err != nil {
			return false, translate(fmt.Sprintf("%s: create index %s on %s", label, ix.Name, ix.Collection), err)
		}
	}
	_, err := s.migrations.InsertOne(ctx, migrationRecord{
		ID: fmt.Sprintf("%04d", step.Version), Version: step.Version, Name: step.Name,
		AppliedAt: bson.NewDateTimeFromTime(time.Now()),
	})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, translate(label+": record", err)
}

// CheckSchema fails unless the database is at exactly the version this binary knows:
// behind means `kith migrate` has not run, ahead means this binary is too old.
func (s *Store) CheckSchema(ctx context.Context) error {
	steps, err := migrations.Mongo()
	if err != nil {
		return err
	}
	current, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	return migrations.CheckCurrent(current, steps)
}

// schemaVersion is the highest recorded step, 0 for a fresh database. The lock
// document has no version and is left out.
func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	cur, err := s.migrations.Find(ctx, bson.D{{Key: "version", Value: bson.D{{Key: "$exists", Value: true}}}})
	if err != nil {
		return 0, translate("read schema version", err)
	}
	var records []migrationRecord
	if err := cur.All(ctx, &records); err != nil {
		return 0, translate("read schema version", err)
	}
	v := 0
	for _, r := range records {
		v = max(v, r.Version)
	}
	return v, nil
}

// plan is a parsed step file: for now, indexes to create. The "comment" is for readers.
type plan struct {
	Comment string      `json:"comment"`
	Indexes []indexPlan `json:"indexes"`
}

// indexPlan is one index of a step. Sparse leaves out documents without the indexed
// fields; FerretDB v1 accepts the option and ignores it, which costs space there but
// answers queries the same.
type indexPlan struct {
	Collection string  `json:"collection"`
	Name       string  `json:"name"`
	Keys       [][]any `json:"keys"`
	Unique     bool    `json:"unique"`
	Sparse     bool    `json:"sparse"`
	keys       bson.D
}

// loadSteps reads and checks every step before any is applied, so a malformed file
// stops the migration before it changes anything.
func loadSteps() ([]migrations.Step, []plan, error) {
	steps, err := migrations.Mongo()
	if err != nil {
		return nil, nil, err
	}
	plans := make([]plan, len(steps))
	for i, step := range steps {
		if plans[i], err = parseStep(step.Body); err != nil {
			return nil, nil, fmt.Errorf("migrations: mongo/%04d_%s.json: %w", step.Version, step.Name, err)
		}
	}
	return steps, plans, nil
}

// parseStep refuses fields it does not know: a step this code cannot carry out must
// fail loudly rather than be recorded as applied.
func parseStep(body []byte) (plan, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var p plan
	if err := dec.Decode(&p); err != nil {
		return plan{}, err
	}
	for i := range p.Indexes {
		ix := &p.Indexes[i]
		if ix.Collection == "" || ix.Name == "" || len(ix.Keys) == 0 {
			return plan{}, fmt.Errorf("index %d needs a collection, a name and keys", i)
		}
		for _, k := range ix.Keys {
			if len(k) != 2 {
				return plan{}, fmt.Errorf("index %s: each key must be [field, 1 or -1]", ix.Name)
			}
			field, ok := k[0].(string)
			if !ok || field == "" {
				return plan{}, fmt.Errorf("index %s: each key must be [field, 1 or -1]", ix.Name)
			}
			dir, ok := k[1].(float64)
			if !ok || (dir != 1 && dir != -1) {
				return plan{}, fmt.Errorf("index %s: key %s: direction must be 1 or -1", ix.Name, field)
			}
			ix.keys = append(ix.keys, bson.E{Key: field, Value: int32(dir)})
		}
	}
	if len(p.Indexes) == 0 {
		return plan{}, errors.New("the step does nothing: it has no indexes")
	}
	return p, nil
}
