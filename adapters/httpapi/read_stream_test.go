package httpapi_test

import (
	"sync"
	"sync/atomic"
)

// streamReaders is how many goroutines keep reading while a change lands.
const streamReaders = 4

// readsAfterChange is how many reads each reader makes once the change has returned.
const readsAfterChange = 3

// duringReads lands change in the middle of a stream of reads, however fast or slow
// the store: change starts once every reader has read once, and each reader stops
// after readsAfterChange reads that began after change returned. read is told
// whether its read began after the change. Bounding the stream by reads rather than
// by wall-clock time keeps the test the same on a loaded machine and on FerretDB.
func duringReads(read func(after bool), change func()) {
	var changed atomic.Bool
	var started, done sync.WaitGroup
	started.Add(streamReaders)
	done.Add(streamReaders)
	for range streamReaders {
		go func() {
			defer done.Done()
			first, after := true, 0
			for after < readsAfterChange {
				began := changed.Load()
				read(began)
				if first {
					started.Done()
					first = false
				}
				if began {
					after++
				}
			}
		}()
	}
	started.Wait()
	change()
	changed.Store(true)
	done.Wait()
}
