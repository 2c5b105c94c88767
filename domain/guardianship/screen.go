package guardianship

import (
	"slices"
	"time"

	"github.com/kith-health/kith/domain/record"
)

// Screen is what of one child's record no guardian sees, whatever their
// guardianship says: what the young person hid (from 11, with their own account)
// and entries an organisation marked safeguarding-sensitive. Guardians are never
// told what is screened.
type Screen struct {
	ChildID          string
	HiddenCategories []record.Category
	HiddenEntries    []string
	// Safeguarding are entries an organisation marked safeguarding-sensitive.
	Safeguarding []string
	UpdatedAt    time.Time
	// Version increases by one on every stored change; stores compare-and-set on it.
	Version int64
}

// Hides reports whether an entry is screened from guardians.
func (s Screen) Hides(entryID string) bool {
	return slices.Contains(s.HiddenEntries, entryID) || slices.Contains(s.Safeguarding, entryID)
}

// HidesCategory reports whether the young person hid a whole category.
func (s Screen) HidesCategory(c record.Category) bool { return slices.Contains(s.HiddenCategories, c) }

// Hide adds entries and categories the young person hides; Unhide takes them back.
// Safeguarding marks are not theirs to remove.
func (s *Screen) Hide(categories []record.Category, entries []string, now time.Time) {
	s.HiddenCategories = union(s.HiddenCategories, categories)
	s.HiddenEntries = union(s.HiddenEntries, entries)
	s.UpdatedAt = stamp(now)
}

// Unhide takes back what the young person hid.
func (s *Screen) Unhide(categories []record.Category, entries []string, now time.Time) {
	s.HiddenCategories = slices.DeleteFunc(s.HiddenCategories, func(c record.Category) bool { return slices.Contains(categories, c) })
	s.HiddenEntries = slices.DeleteFunc(s.HiddenEntries, func(e string) bool { return slices.Contains(entries, e) })
	s.UpdatedAt = stamp(now)
}

// MarkSafeguarding is an organisation screening entries from every guardian.
func (s *Screen) MarkSafeguarding(entries []string, now time.Time) {
	s.Safeguarding = union(s.Safeguarding, entries)
	s.UpdatedAt = stamp(now)
}

func union[T comparable](a, b []T) []T {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
