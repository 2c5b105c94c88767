package record

import (
	"slices"
	"strings"
	"time"
)

// Apply updates the summary for one stored change of an entry: before is the
// entry as it was (nil when new), after as it is now. Tombstones do not count.
// Applying the same change twice gives the same summary.
//
// Latest can only lose an item here, never refill from older entries: after a
// deletion a category may show fewer than LatestPerCategory items until newer
// ones arrive, since refilling would need a store read.
func (s *Summary) Apply(before *Entry, after Entry) {
	if s.Counts == nil {
		s.Counts = map[Category]int{}
	}
	if s.SensitiveCounts == nil {
		s.SensitiveCounts = map[Category]int{}
	}
	if s.Latest == nil {
		s.Latest = map[Category][]SummaryItem{}
	}
	if s.LastSync == nil {
		s.LastSync = map[string]time.Time{}
	}

	if before != nil && !before.Deleted {
		decrement(s.Counts, before.Category)
		if before.Sensitive {
			decrement(s.SensitiveCounts, before.Category)
		}
	}
	if !after.Deleted {
		s.Counts[after.Category]++
		if after.Sensitive {
			s.SensitiveCounts[after.Category]++
		}
	}

	// The entry may sit under its old category or (applied twice) its new one.
	for c, items := range s.Latest {
		if i := slices.IndexFunc(items, func(it SummaryItem) bool { return it.EntryID == after.ID }); i >= 0 {
			s.Latest[c] = slices.Delete(slices.Clone(items), i, i+1)
			if len(s.Latest[c]) == 0 {
				delete(s.Latest, c)
			}
		}
	}
	if !after.Deleted {
		items := append(slices.Clone(s.Latest[after.Category]), SummaryItem{
			EntryID: after.ID, ResourceType: after.ResourceType,
			Display: after.Display, Sensitive: after.Sensitive,
			Source: after.Source(), UpdatedAt: after.UpdatedAt,
		})
		slices.SortFunc(items, newestFirst)
		if len(items) > LatestPerCategory {
			items = items[:LatestPerCategory]
		}
		s.Latest[after.Category] = items
	}

	if src := after.Source(); src != "" && after.UpdatedAt.After(s.LastSync[src]) {
		s.LastSync[src] = after.UpdatedAt
	}
}

func decrement(counts map[Category]int, c Category) {
	counts[c]--
	if counts[c] <= 0 {
		delete(counts, c)
	}
}

// newestFirst orders summary items by date, newest first, then by entry id
// (descending) so the order is total and every store computes the same list.
func newestFirst(a, b SummaryItem) int {
	if c := b.Display.Date.Compare(a.Display.Date); c != 0 {
		return c
	}
	return strings.Compare(b.EntryID, a.EntryID)
}
