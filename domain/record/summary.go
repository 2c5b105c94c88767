package record

import (
	"cmp"
	"slices"
	"time"
)

// MaxListed bounds the current items a section of current state (allergies,
// medicines, problems, care plans) lists; RecentListed bounds a section of
// history (results, immunizations, encounters...), which lists its newest. The
// section's counts stay true beyond either, and the entry list pages the rest.
const (
	MaxListed    = 100
	RecentListed = 20
)

// Listed is how many current items a summary lists of the section at most.
func (s Section) Listed() int {
	if s.IsCurrentState() {
		return MaxListed
	}
	return RecentListed
}

// LatestPerCategory is how many newest entries of each category a summary carries
// besides its sections, for apps written before the sections existed.
const LatestPerCategory = 5

// Summary is what a clinician needs in ninety seconds, shaped like the HL7
// International Patient Summary: section by section, every current item (active
// allergies, medicines and problems; valid results, immunizations...), the most
// relevant first, and how many items are not current. It is built from the
// stored entries as they stand at every read (see Summarise), never stored, so no
// interruption of a write can leave it saying something the entries do not.
type Summary struct {
	PatientID string
	Sections  []SectionSummary // in Sections order, every section, shared or not
	// Counts is how many live entries of each category the reader may see.
	Counts map[Category]int
	// Latest is the newest few entries of each category the reader may see,
	// whatever their status.
	Latest   map[Category][]Entry
	LastSync map[string]time.Time
	// Version, when not empty, names the record's state and the reader's scope the
	// summary was made for: two summaries with one Version are the same, so an
	// encoding of one serves for the other.
	Version string
}

// SectionSummary is one section as a reader sees it.
type SectionSummary struct {
	Section Section
	// Shared says whether the reader may see the section at all: a section not
	// shared is not the same as one with nothing recorded.
	Shared bool
	// Items are the section's current items (entries without resources), most
	// relevant first (see orderItems), at most Section.Listed().
	Items []Entry
	// Current and Past count the section's current and other items the reader may see.
	Current, Past int
}

// More says whether the section has current items beyond those listed.
func (s SectionSummary) More() bool { return s.Current > len(s.Items) }

// Tally counts a record's live entries, as a store can count them without reading
// a resource.
type Tally struct {
	Rows []TallyRow
	// LastSync is when each source last changed an entry it delivered first.
	LastSync map[string]time.Time
}

// TallyRow is how many live entries share a category, section, currency and
// sensitivity.
type TallyRow struct {
	Category  Category
	Section   Section
	Current   bool
	Sensitive bool
	Entries   int
}

// Permits says whether a reader may see entries of a category, sensitive or not.
type Permits func(c Category, sensitive bool) bool

// Summarise is the summary a reader allowed permits sees, from the record's tally,
// each shared section's current items and each category's latest entries. Lists
// may hold more than a summary shows, and entries the reader may not see: both
// are dropped here, so every store and SummaryOf give the same summary.
func Summarise(patientID string, t Tally, items map[Section][]Entry, latest map[Category][]Entry, permits Permits) Summary {
	s := Summary{PatientID: patientID, Counts: map[Category]int{}, Latest: map[Category][]Entry{}, LastSync: t.LastSync}
	current, past := map[Section]int{}, map[Section]int{}
	for _, r := range t.Rows {
		if r.Entries <= 0 || !permits(r.Category, r.Sensitive) {
			continue
		}
		s.Counts[r.Category] += r.Entries
		switch {
		case r.Section == "":
		case r.Current:
			current[r.Section] += r.Entries
		default:
			past[r.Section] += r.Entries
		}
	}
	for _, sec := range Sections {
		ss := SectionSummary{Section: sec, Shared: permits(sec.Category(), false)}
		if ss.Shared {
			ss.Items = orderItems(visible(items[sec], permits), sec.Listed())
			ss.Current, ss.Past = current[sec], past[sec]
		}
		s.Sections = append(s.Sections, ss)
	}
	for c, es := range latest {
		if kept := newest(visible(es, permits), LatestPerCategory); len(kept) > 0 {
			s.Latest[c] = kept
		}
	}
	return s
}

// SummaryOf is the summary computed from the whole record in one pass: what
// Summarise gives from a store's tally and lists must always equal it.
func SummaryOf(patientID string, entries []Entry, permits Permits) Summary {
	t := Tally{LastSync: map[string]time.Time{}}
	rows := map[TallyRow]int{}
	items := map[Section][]Entry{}
	latest := map[Category][]Entry{}
	for _, e := range entries {
		if e.Deleted {
			continue
		}
		rows[TallyRow{Category: e.Category, Section: e.Clinical.Section, Current: e.Clinical.Current, Sensitive: e.Sensitive}]++
		if e.Clinical.Section != "" && e.Clinical.Current {
			items[e.Clinical.Section] = append(items[e.Clinical.Section], e)
		}
		latest[e.Category] = append(latest[e.Category], e)
		if src := e.Source(); src != "" && e.UpdatedAt.After(t.LastSync[src]) {
			t.LastSync[src] = e.UpdatedAt
		}
	}
	for r, n := range rows {
		r.Entries = n
		t.Rows = append(t.Rows, r)
	}
	return Summarise(patientID, t, items, latest, permits)
}

func visible(es []Entry, permits Permits) []Entry {
	var out []Entry
	for _, e := range es {
		if !e.Deleted && permits(e.Category, e.Sensitive) {
			out = append(out, e)
		}
	}
	return out
}

// orderItems keeps a section's n newest items and puts them in order of clinical
// relevance: rank first (an allergy of high criticality before a low one), then
// newest first.
func orderItems(es []Entry, n int) []Entry {
	kept := newest(es, n)
	slices.SortStableFunc(kept, func(a, b Entry) int { return cmp.Compare(a.Clinical.Rank, b.Clinical.Rank) })
	return kept
}

// newest is the n newest of es: by date, then by id descending, so the order is
// total and every store computes the same list.
func newest(es []Entry, n int) []Entry {
	out := slices.Clone(es)
	slices.SortFunc(out, newestFirst)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// newestFirst orders entries as lists show them: by Display.Date, newest first,
// then by id descending.
func newestFirst(a, b Entry) int {
	if c := b.Display.Date.Compare(a.Display.Date); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}
