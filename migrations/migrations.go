// Package migrations holds each store's schema steps, embedded in the binary so
// `kith migrate` needs nothing beside it. Files are named NNNN_what.ext; NNNN is the
// version, applied in order, each exactly once.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed sqlite/*.sql
var sqliteSteps embed.FS

//go:embed mongo/*.json
var mongoSteps embed.FS

// SummaryFromEntries is the step after which summaries are read from each entry's
// reading of its resource: entries stored before it need reading again (kith admin
// rebuild-summaries).
const SummaryFromEntries = 7

// Step is one schema change.
type Step struct {
	Version int
	Name    string
	Body    []byte
}

// SQLite returns the SQLite steps in version order.
func SQLite() ([]Step, error) { return load(sqliteSteps, "sqlite") }

// Mongo returns the MongoDB steps in version order.
func Mongo() ([]Step, error) { return load(mongoSteps, "mongo") }

func load(fsys fs.FS, dir string) ([]Step, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var steps []Step
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), path.Ext(e.Name()))
		num, name, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version < 1 {
			return nil, fmt.Errorf("migrations: %s/%s is not named NNNN_what", dir, e.Name())
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		steps = append(steps, Step{Version: version, Name: name, Body: body})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Version < steps[j].Version })
	for i, s := range steps {
		if s.Version != i+1 {
			return nil, fmt.Errorf("migrations: %s steps must run 1, 2, 3...; found %d at position %d", dir, s.Version, i+1)
		}
	}
	return steps, nil
}

// RefuseNewer fails when a store's schema is ahead of the steps this binary knows:
// an older binary must not write into a newer schema.
func RefuseNewer(current int, steps []Step) error {
	if current > len(steps) {
		return fmt.Errorf("the database schema is at version %d but this binary knows only up to %d: run a newer kith", current, len(steps))
	}
	return nil
}

// CheckCurrent fails unless a store's schema is exactly at the last known step:
// behind means `kith migrate` has not run, ahead means this binary is too old.
func CheckCurrent(current int, steps []Step) error {
	if err := RefuseNewer(current, steps); err != nil {
		return err
	}
	if current < len(steps) {
		return fmt.Errorf("the database schema is at version %d and this binary needs %d: run `kith migrate`", current, len(steps))
	}
	return nil
}
