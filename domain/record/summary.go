package record

import "time"

// LatestPerCategory is how many recent items the summary keeps per category.
const LatestPerCategory = 5

// SummaryItem is one recent entry as the summary shows it.
type SummaryItem struct {
	EntryID      string
	ResourceType string
	Display      Display
	Sensitive    bool
	Source       string
	UpdatedAt    time.Time
}

// Summary is a patient's overview: counts per category, the latest few items of
// each, and when each source last delivered. It is updated on every write (see
// Apply), so reading it is one store read however large the record.
type Summary struct {
	PatientID string
	Counts    map[Category]int
	// SensitiveCounts says how many of Counts are sensitive, so a reader who may not
	// see sensitive data gets counts that do not betray it.
	SensitiveCounts map[Category]int
	Latest          map[Category][]SummaryItem
	LastSync        map[string]time.Time
	// Revision increases by one on every stored change; stores compare-and-set on it.
	Revision int64
}

// Within is the summary as a reader allowed only what permits allows sees it:
// categories it may not see are gone, and where it may not see sensitive entries
// they are neither counted nor listed.
func (s Summary) Within(permits func(c Category, sensitive bool) bool) Summary {
	out := Summary{PatientID: s.PatientID, Revision: s.Revision, Counts: map[Category]int{},
		Latest: map[Category][]SummaryItem{}, LastSync: s.LastSync}
	for c, n := range s.Counts {
		switch {
		case permits(c, true):
		case permits(c, false):
			n -= s.SensitiveCounts[c]
		default:
			n = 0
		}
		if n > 0 {
			out.Counts[c] = n
		}
	}
	for c, items := range s.Latest {
		var kept []SummaryItem
		for _, it := range items {
			if permits(c, it.Sensitive) {
				kept = append(kept, it)
			}
		}
		if len(kept) > 0 {
			out.Latest[c] = kept
		}
	}
	return out
}
