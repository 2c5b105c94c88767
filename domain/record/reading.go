package record

import "slices"

// Read is everything Kith reads of a resource beside its bytes: what lists show
// and what the summary needs. One function for ingest and for rebuilding, so an
// entry read again says exactly what a fresh delivery would. A resource kept with
// the identity-mismatch flag is in no section: another person's allergies must
// never appear in this patient's summary. One withdrawn by its source keeps its
// section but is never current: the summary must not show a retracted allergy as
// active, and the history still shows it was there.
func Read(resourceType string, raw []byte, flags []string) (Display, Clinical) {
	type reading struct {
		d Display
		c Clinical
	}
	x := withObject(raw, func(res object) reading {
		d, c := read(resourceType, res, flags)
		return reading{d, c}
	})
	return x.d, x.c
}

func read(resourceType string, res object, flags []string) (Display, Clinical) {
	d, c := displayOf(resourceType, res), clinicalOf(resourceType, res)
	if slices.Contains(flags, IdentityMismatch) {
		c.Section, c.Current = "", false
	}
	if slices.Contains(flags, WithdrawnBySource) {
		c.Current = false
	}
	return d, c
}
