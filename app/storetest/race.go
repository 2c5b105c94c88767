package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kith-health/kith/domain/fault"
)

// exactlyOneWins runs try from racers goroutines at once and fails unless exactly one
// succeeds and every other gets fault.ErrConflict: the shape of every conditional
// write a store makes (a first creation, a last use, a compare-and-set).
func exactlyOneWins(t *testing.T, racers int, op string, try func(i int) error) {
	t.Helper()
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < racers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := try(i); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, fault.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("%s: %v", op, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || int(conflicts.Load()) != racers-1 {
		t.Fatalf("%s: %d wins and %d conflicts, want 1 and %d", op, wins.Load(), conflicts.Load(), racers-1)
	}
}
