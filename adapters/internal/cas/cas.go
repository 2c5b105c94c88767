// Package cas is the compare-and-set loop every store uses to update an aggregate
// without transactions: read it and its version, apply the caller's change, write it
// only if the stored version is still the one read, and start again if not.
package cas

import (
	"fmt"

	"github.com/kith-health/kith/domain/fault"
)

// maxAttempts bounds the loop; each lost race means another writer made progress, so
// reaching it means pathological contention.
const maxAttempts = 100

// Update runs the loop. read returns the current value and its version; change is the
// caller's update (it may run several times, so it must have no side effects, and its
// error stops the loop with nothing written); write stores next if the version is
// still seen, setting next's new version, and reports whether it matched.
func Update[T any](read func() (T, int64, error), change func(*T) error, write func(next *T, seen int64) (bool, error)) (T, error) {
	var zero T
	for range maxAttempts {
		v, seen, err := read()
		if err != nil {
			return zero, err
		}
		if err := change(&v); err != nil {
			return zero, err
		}
		matched, err := write(&v, seen)
		if err != nil {
			return zero, err
		}
		if matched {
			return v, nil
		}
	}
	return zero, fmt.Errorf("compare-and-set: too much contention: %w", fault.ErrConflict)
}
