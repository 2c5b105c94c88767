package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/kith-health/kith/migrations"
)

// Migrate applies every embedded step not yet applied, each in one transaction with
// its record in schema_migrations, so a step is either wholly applied or not at all.
// Running it again is a no-op. It reports the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	steps, err := migrations.SQLite()
	if err != nil {
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return nil, translate("create schema_migrations", err)
	}
	current, err := s.schemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if err := migrations.RefuseNewer(current, steps); err != nil {
		return nil, err
	}
	var applied []int
	for _, step := range steps[current:] {
		if err := s.apply(ctx, step); err != nil {
			return applied, err
		}
		applied = append(applied, step.Version)
	}
	return applied, nil
}

func (s *Store) apply(ctx context.Context, step migrations.Step) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return translate("begin migration", err)
	}
	defer tx.Rollback()
	// Another node may have applied it since we looked: the immediate transaction holds
	// the write lock, so this check is reliable.
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, step.Version).Scan(&done); err != nil {
		return translate("read schema_migrations", err)
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(step.Body)); err != nil {
		return fmt.Errorf("migration %04d_%s: %w", step.Version, step.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		step.Version, step.Name, time.Now().UnixMilli()); err != nil {
		return translate("record migration", err)
	}
	return translate("commit migration", tx.Commit())
}

// CheckSchema fails unless the database is at exactly the version this binary knows:
// behind means `kith migrate` has not run, ahead means this binary is too old.
func (s *Store) CheckSchema(ctx context.Context) error {
	steps, err := migrations.SQLite()
	if err != nil {
		return err
	}
	current, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	return migrations.CheckCurrent(current, steps)
}

func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	var exists int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return 0, translate("read schema", err)
	}
	if exists == 0 {
		return 0, nil
	}
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, translate("read schema version", err)
}
