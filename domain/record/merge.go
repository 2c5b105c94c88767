package record

import "slices"

// Change says what a delivery did to an entry.
type Change string

const (
	// Created: the entry is new.
	Created Change = "created"
	// Updated: the entry now holds the delivered resource.
	Updated Change = "updated"
	// ProvenanceAdded: the entry keeps its resource and gains a delivery, because
	// the delivered copy is the same or older.
	ProvenanceAdded Change = "provenance-added"
	// Unchanged: the delivery told nothing new; nothing needs writing.
	Unchanged Change = "unchanged"
)

// Merge applies one delivery to an entry. in is an entry freshly built from the
// delivery (one provenance); existing is the stored entry, or nil. The rules:
//
//   - nothing stored: Created;
//   - a tombstone: the delivery revives it (Updated), with only its own provenance,
//     since the deliveries before the erasure no longer vouch for anything;
//   - the same bytes: ProvenanceAdded when the delivery's (source, source id) is
//     new to the entry, else Unchanged;
//   - different bytes: the newer Version wins; when neither is newer (equal, or
//     nothing to compare) the latest delivery wins. An older delivery only adds
//     its provenance.
//   - the same bytes read differently (Display, Clinical or Flags changed, because
//     the rules that read resources improved or the delivery was kept flagged):
//     Updated with what this delivery read, so delivering a record again brings
//     every entry up to the current rules.
//
// An update takes the delivered resource and everything read from it; the
// delivering source goes first among the provenances. The entry keeps its ID,
// PatientID, CreatedAt, Revision and ChangeSeq (the store advances those).
//
// Sensitivity never drops because another source sent the fact without the label
// or code that made it sensitive: one source's marking is enough, and a source
// that leaves it out may just not record it. So an older copy marked sensitive
// still marks the entry, and only a source that made every delivery so far can
// clear it (correcting itself).
func Merge(existing *Entry, in Entry) (Entry, Change) {
	if existing == nil {
		return in, Created
	}
	if existing.Deleted {
		out := takeDelivery(*existing, in)
		out.Provenances = append([]Provenance(nil), in.Provenances...)
		out.Deleted = false
		return out, Updated
	}
	if in.Hash != existing.Hash && in.Version.Compare(existing.Version) >= 0 {
		out := takeDelivery(*existing, in)
		out.Provenances = mergeProvenances(in.Provenances, existing.Provenances)
		if existing.Sensitive && !onlyFrom(existing.Provenances, in.Source()) {
			out.Sensitive = true
		}
		return out, Updated
	}
	// Same content, or an older copy: keep the resource, note the delivery.
	added := newProvenances(existing.Provenances, in.Provenances)
	rederived := in.Hash == existing.Hash && !SameReading(*existing, in)
	if len(added) == 0 && !rederived {
		return *existing, Unchanged
	}
	out := *existing
	out.Provenances = append(append([]Provenance(nil), existing.Provenances...), added...)
	out.Sensitive = existing.Sensitive || in.Sensitive
	out.UpdatedAt = in.UpdatedAt
	if rederived {
		out.Display, out.Clinical, out.Flags = in.Display, in.Clinical, in.Flags
		return out, Updated
	}
	return out, ProvenanceAdded
}

// SameReading reports whether two entries say the same of their resource: the
// same display, clinical reading and flags.
func SameReading(a, b Entry) bool {
	return a.Display == b.Display && slices.Equal(a.Flags, b.Flags) && sameClinical(a.Clinical, b.Clinical)
}

func sameClinical(a, b Clinical) bool {
	ad, bd := a.Detail, b.Detail
	return a.Section == b.Section && a.Current == b.Current && a.Rank == b.Rank &&
		ad.Criticality == bd.Criticality && ad.Verification == bd.Verification && ad.Dosage == bd.Dosage &&
		ad.MedicationRef == bd.MedicationRef && ad.Value == bd.Value && ad.ReferenceRange == bd.ReferenceRange &&
		ad.Interpretation == bd.Interpretation &&
		slices.EqualFunc(ad.Reactions, bd.Reactions, func(x, y Reaction) bool {
			return x.Severity == y.Severity && slices.Equal(x.Manifestations, y.Manifestations)
		})
}

// takeDelivery is existing with everything the delivery's resource determines.
func takeDelivery(existing, in Entry) Entry {
	out := existing
	out.ResourceType = in.ResourceType
	out.IdentifierKey = in.IdentifierKey
	out.Version = in.Version
	out.Category = in.Category
	out.Sensitive = in.Sensitive
	out.SecurityLabels = in.SecurityLabels
	out.Hash = in.Hash
	out.Resource = in.Resource
	out.Display = in.Display
	out.Clinical = in.Clinical
	out.Flags = in.Flags
	out.UpdatedAt = in.UpdatedAt
	return out
}

// mergeProvenances is first followed by the rest, without repeating a (source,
// source id): the first occurrence is kept.
func mergeProvenances(first, rest []Provenance) []Provenance {
	out := make([]Provenance, 0, len(first)+len(rest))
	for _, p := range append(append([]Provenance(nil), first...), rest...) {
		if !hasDelivery(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// newProvenances are the provenances of in whose (source, source id) have is
// missing.
func newProvenances(have, in []Provenance) []Provenance {
	var out []Provenance
	for _, p := range in {
		if !hasDelivery(have, p) && !hasDelivery(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func hasDelivery(ps []Provenance, p Provenance) bool {
	for _, q := range ps {
		if q.Source == p.Source && q.SourceID == p.SourceID {
			return true
		}
	}
	return false
}

// onlyFrom reports whether every provenance is from source.
func onlyFrom(ps []Provenance, source string) bool {
	for _, p := range ps {
		if p.Source != source {
			return false
		}
	}
	return true
}
