package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// checkpointEvery is how often the log is copied back into the database file.
// SQLite otherwise checkpoints inside whichever commit crosses 1,000 pages of
// log: a tenth of an ingest's time, and a stall for the audited read behind it.
const checkpointEvery = 250 * time.Millisecond

// writerAutoCheckpoint is the writer's own checkpoint threshold in pages, kept
// as a backstop should the background checkpoints fall behind.
const writerAutoCheckpoint = 10000

// checkpointer copies the write-ahead log into the database in the background,
// on a read connection, passively: it never waits for, or blocks, the writer.
type checkpointer struct {
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
				// A failure here costs only a longer log: the writer's own
				// threshold checkpoints in the end.
				if _, err := db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
					slog.Debug("sqlite background checkpoint", "err", err.Error())
				}
			}
		}
	}()
	return c
}

// close stops the checkpoints; a store closed twice closes this twice.
func (c *checkpointer) close() {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
}
