// Package sqlite is the embedded default Store: one SQLite file in the data directory,
// pure Go (modernc.org/sqlite), nothing to install.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
)

// FileName is the database file inside the data directory.
const FileName = "kith.db"

// writerCacheKiB is the writer connection's page cache.
const writerCacheKiB = 8192

// idleReadConnections is how many read connections stay open between requests.
const idleReadConnections = 32

// Store is the SQLite app.Store. SQLite lets one writer in at a time; writers
// that meet a held lock sleep in its busy handler (1 to 100 ms back-offs), which
// under concurrent audited reads made the long tail. So every write goes through w,
// a pool of one connection, where writers queue in Go and each takes the lock the
// moment the last lets go; reads go through db, many connections, which WAL lets
// read alongside the writer.
type Store struct {
	db    *sql.DB
	w     *sql.DB
	chain *chainer
	// checkpoints copies the log into the file off the writer's path.
	checkpoints *checkpointer
	reads       *statements
	path        string
}

var _ app.Store = (*Store)(nil)

// Open opens (creating if missing) the database in dataDir. It refuses a file that is
// not a SQLite database, or a database Kith did not create, rather than write over
// someone's data. It does not migrate: see Migrate and CheckSchema.
func Open(ctx context.Context, dataDir string) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, FileName)
	// Every connection gets these pragmas. _txlock=immediate makes BEGIN take the write
	// lock at once: a deferred transaction that reads then writes fails with
	// SQLITE_BUSY under concurrency, which busy_timeout cannot cure.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	// dsn is the shared settings and a connection's own pragmas.
	dsn := func(pragmas ...string) string {
		return "file:" + path + "?" + q.Encode() + "&" + url.Values{"_pragma": pragmas}.Encode()
	}
	// 512 KiB of page cache per read connection, not SQLite's 2 MiB: there is a
	// read connection per concurrent request, and the OS caches the file for all
	// of them (at 32 workers this took 35 MiB off peak RSS at the same throughput).
	db, err := sql.Open("sqlite", dsn("cache_size(-512)"))
	if err != nil {
		return nil, err
	}
	// The one writer's cache holds a whole ingest batch's dirty pages: a smaller
	// one spills them to the log mid-transaction and reads them back.
	w, err := sql.Open("sqlite", dsn(fmt.Sprintf("cache_size(-%d)", writerCacheKiB),
		fmt.Sprintf("wal_autocheckpoint(%d)", writerAutoCheckpoint)))
	if err != nil {
		db.Close()
		return nil, err
	}
	w.SetMaxOpenConns(1)
	// A connection the pool lets go takes its prepared statements with it, and the
	// default keeps only two idle: under load every other read opened a connection.
	// No cap on open ones, so a read made while another's rows are open never waits.
	db.SetMaxIdleConns(idleReadConnections)
	s := &Store{db: db, w: w, path: path, reads: newStatements(db)}
	if err := s.checkNotForeign(ctx); err != nil {
		w.Close()
		db.Close()
		return nil, err
	}
	s.chain = startChainer(w)
	s.checkpoints = startCheckpointer(db)
	return s, nil
}

// checkNotForeign reads the schema: a corrupt file fails here, and a database with
// tables but no migration record belongs to something else.
func (s *Store) checkNotForeign(ctx context.Context) error {
	var tables, ours int
	err := s.db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE name = 'schema_migrations')
		FROM sqlite_master WHERE type = 'table'`).Scan(&tables, &ours)
	if err != nil {
		return fmt.Errorf("%s is not a readable SQLite database (corrupt or foreign; Kith will not overwrite it): %w", s.path, err)
	}
	if tables > 0 && ours == 0 {
		return fmt.Errorf("%s holds a database Kith did not create; Kith will not write into it: point KITH_DATA_DIR elsewhere", s.path)
	}
	return nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, "SELECT 1"); err != nil {
		return fmt.Errorf("sqlite: %v: %w", err, fault.ErrUnavailable)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close(context.Context) error {
	s.chain.close()
	s.checkpoints.close()
	s.reads.close()
	return errors.Join(s.w.Close(), s.db.Close())
}

// translate turns driver errors into fault kinds; op names the operation for the log.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, fault.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%s: %w", op, fault.ErrConflict)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return fmt.Errorf("%s: %v: %w", op, err, fault.ErrUnavailable)
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w", op, err, fault.ErrUnavailable)
	}
	return fmt.Errorf("%s: %w", op, err)
}
