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
	Latest    map[Category][]SummaryItem
	LastSync  map[string]time.Time
	// Revision increases by one on every stored change; stores compare-and-set on it.
	Revision int64
}
