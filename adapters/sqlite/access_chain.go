package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
)

// maxChainBatch bounds one group commit: large enough that a burst of audited reads
// shares a transaction, small enough that the first in line does not wait long.
const maxChainBatch = 128

// chainTimeout bounds one group commit; a store that cannot commit in this long is
// unavailable, and every read waiting on it fails rather than disclose unaudited.
const chainTimeout = 10 * time.Second

// chainer seals and stores access events in group commits. Every audited read
// appends an event before its data leaves; one transaction each made every read a
// writer queueing for SQLite's single lock. Requests that arrive while a batch
// commits join the next one, so concurrent reads share a transaction, and each
// still waits until its own event is durable. Sealing inside the write lock means
// two events are never sealed after the same one, so there is nothing to retry.
type chainer struct {
	w *sql.DB
	// head and insert are prepared once, by the committer alone: parsing them for
	// every batch was a sixth of a commit.
	head, insert *sql.Stmt
	requests     chan chainRequest
	stop         chan struct{}
	stopped      chan struct{}
	once         sync.Once
}

type chainRequest struct {
	ctx   context.Context
	event audit.Event
	reply chan chainResult
}

type chainResult struct {
	event audit.Event
	err   error
}

func startChainer(w *sql.DB) *chainer {
	c := &chainer{w: w, requests: make(chan chainRequest), stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.run()
	return c
}

// close stops taking requests once the batch in hand has committed.
func (c *chainer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.stopped
}

// append hands e to the committer and waits for its outcome. A caller that gives up
// waiting may still find its event in the log: audited but not disclosed, the safe
// side of the race.
func (c *chainer) append(ctx context.Context, e audit.Event) (audit.Event, error) {
	r := chainRequest{ctx: ctx, event: e, reply: make(chan chainResult, 1)}
	select {
	case c.requests <- r:
	case <-c.stop:
		return audit.Event{}, fmt.Errorf("append access event: store closed: %w", fault.ErrUnavailable)
	case <-ctx.Done():
		return audit.Event{}, translate("append access event", ctx.Err())
	}
	select {
	case res := <-r.reply:
		return res.event, res.err
	case <-ctx.Done():
		return audit.Event{}, translate("append access event", ctx.Err())
	}
}

// Statements of a commit.
const (
	chainHeadSQL = `SELECT seq, json_extract(doc, '$.hash') FROM access_events
		WHERE patient_id = ? ORDER BY seq DESC LIMIT 1`
	insertEventSQL = `INSERT INTO access_events (id, doc) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`
)

// prepare readies the statements once; a failure is tried again at the next batch.
func (c *chainer) prepare(ctx context.Context) error {
	var err error
	if c.head == nil {
		if c.head, err = c.w.PrepareContext(ctx, chainHeadSQL); err != nil {
			return translate("append access event", err)
		}
	}
	if c.insert == nil {
		if c.insert, err = c.w.PrepareContext(ctx, insertEventSQL); err != nil {
			return translate("append access event", err)
		}
	}
	return nil
}

func (c *chainer) run() {
	defer close(c.stopped)
	defer func() {
		for _, st := range []*sql.Stmt{c.head, c.insert} {
			if st != nil {
				st.Close()
			}
		}
	}()
	for {
		var first chainRequest
		select {
		case first = <-c.requests:
		case <-c.stop:
			return
		}
		batch := []chainRequest{first}
	gather:
		for len(batch) < maxChainBatch {
			select {
			case r := <-c.requests:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		c.commit(batch)
	}
}

// commit seals and stores a batch in one transaction and answers every request in
// it. A failed commit fails them all: none of their data may leave.
func (c *chainer) commit(batch []chainRequest) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.reply <- chainResult{err: translate("append access event", err)}
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), chainTimeout)
	defer cancel()
	results, err := c.seal(ctx, live)
	for i, r := range live {
		if err != nil {
			r.reply <- chainResult{err: err}
			continue
		}
		r.reply <- results[i]
	}
}

func (c *chainer) seal(ctx context.Context, batch []chainRequest) ([]chainResult, error) {
	if err := c.prepare(ctx); err != nil {
		return nil, err
	}
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, translate("append access event", err)
	}
	defer tx.Rollback()
	head, insert := tx.StmtContext(ctx, c.head), tx.StmtContext(ctx, c.insert)
	heads := map[string]*audit.Event{}
	results := make([]chainResult, len(batch))
	for i, r := range batch {
		prev, known := heads[r.event.PatientID]
		if !known {
			if prev, err = chainHead(ctx, head, r.event.PatientID); err != nil {
				return nil, err
			}
		}
		sealed := r.event.Seal(prev)
		doc, err := json.Marshal(toAccessEventDoc(sealed))
		if err != nil {
			return nil, err
		}
		res, err := insert.ExecContext(ctx, sealed.ID, string(doc))
		if err != nil {
			return nil, translate("append access event", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			results[i] = chainResult{err: fmt.Errorf("append access event: id %s taken: %w", sealed.ID, fault.ErrConflict)}
			heads[r.event.PatientID] = prev
			continue
		}
		results[i] = chainResult{event: sealed}
		heads[r.event.PatientID] = &results[i].event
	}
	if err := tx.Commit(); err != nil {
		return nil, translate("append access event", err)
	}
	return results, nil
}

// chainHead reads the place and hash of the patient's newest event, nil if none.
func chainHead(ctx context.Context, st *sql.Stmt, patientID string) (*audit.Event, error) {
	var head audit.Event
	err := st.QueryRowContext(ctx, patientID).Scan(&head.Seq, &head.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate("append access event", err)
	}
	return &head, nil
}
