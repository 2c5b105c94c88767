package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the cache: the statements Kith makes are a few dozen
// shapes, but a scope's IN list makes one text per size, and the cache must not
// grow with them for ever.
const maxCachedStatements = 512

// statements caches prepared read statements by their text. SQLite parses every
// statement it is handed, and parsing was a fifth of a summary read's time; a
// prepared *sql.Stmt is parsed once per connection and reused.
type statements struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	closed bool
}

func newStatements(db *sql.DB) *statements {
	return &statements{db: db, m: map[string]*sql.Stmt{}}
}

// prepared returns the statement for text, preparing it on first use; nil when the
// cache is full or preparing failed, and the caller then runs the text as it is
// (a bad statement then reports its error where it is used).
func (c *statements) prepared(ctx context.Context, text string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil // the store is closing: the caller's read meets the closed pool
	}
	if st, ok := c.m[text]; ok {
		return st
	}
	if len(c.m) >= maxCachedStatements {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, text)
	if err != nil {
		return nil
	}
	c.m[text] = st
	return st
}

func (c *statements) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m, c.closed = map[string]*sql.Stmt{}, true
}

// query runs a read through its prepared statement.
func (s *Store) query(ctx context.Context, text string, args ...any) (*sql.Rows, error) {
	if st := s.reads.prepared(ctx, text); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.db.QueryContext(ctx, text, args...)
}

// queryRow runs a one-row read through its prepared statement.
func (s *Store) queryRow(ctx context.Context, text string, args ...any) *sql.Row {
	if st := s.reads.prepared(ctx, text); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, text, args...)
}
