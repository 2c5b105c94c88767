package record

import (
	"slices"
	"time"
)

// WithdrawnBySource flags an entry its only source deleted (a DELETE in the
// source's history, or gone from a full sweep of the source's records). The entry
// stays, visibly marked and never current, rather than being silently kept as if
// nothing happened or silently dropped from the patient's own copy.
const WithdrawnBySource = "withdrawn-by-source"

// Withdraw applies a source's deletion of the resource it calls sourceID to e.
// While another delivery still vouches for the fact, only that source's provenance
// goes; when none is left, the entry is flagged WithdrawnBySource and read again so
// it is no longer current. changed is false when the deletion tells e nothing new
// (the source never delivered it, or withdrew it before).
func Withdraw(e Entry, source, sourceID string, now time.Time) (out Entry, changed bool) {
	i := slices.IndexFunc(e.Provenances, func(p Provenance) bool { return p.Source == source && p.SourceID == sourceID })
	if i < 0 || e.Deleted {
		return e, false
	}
	out = e
	out.UpdatedAt = now.UTC().Truncate(time.Millisecond)
	if len(e.Provenances) > 1 {
		// The kept copy is the first provenance's; another's stays as good.
		out.Provenances = slices.Delete(slices.Clone(e.Provenances), i, i+1)
		return out, true
	}
	if slices.Contains(e.Flags, WithdrawnBySource) {
		return e, false
	}
	out.Flags = append(slices.Clone(e.Flags), WithdrawnBySource)
	out.Display, out.Clinical = Read(e.ResourceType, e.Resource, out.Flags)
	return out, true
}
