package sandbox

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// resource is one stored resource. Deleted ones are kept as tombstones, so history
// can report the deletion and pages taken before it stay as they were.
type resource struct {
	typ, id  string
	patients []string // the compartments it is in
	updated  time.Time
	seq      uint64 // when it was stored, in the store's sequence
	body     []byte
	deleted  time.Time
	delSeq   uint64 // 0 while it lives
}

func (r *resource) ref() string { return r.typ + "/" + r.id }

// liveAt says whether the resource was there when the store's sequence stood at seq.
func (r *resource) liveAt(seq uint64) bool {
	return r.seq <= seq && (r.delSeq == 0 || r.delSeq > seq)
}

type identifier struct{ system, value string }

type patientRec struct {
	id, nhs, birthDate string
	identifiers        []identifier
	resources          []*resource // the compartment, in the order stored
}

// store holds every resource. Every change takes the next sequence number, which is
// what a snapshot remembers. Its callers hold Sandbox.mu.
type store struct {
	seq      uint64
	byRef    map[string]*resource
	patients []*patientRec
	byID     map[string]*patientRec
	byNHS    map[string]*patientRec
	// types is every type ever held: a type stays searchable when its last resource
	// is deleted, so its history can still be read.
	types map[string]bool
}

func newStore() *store {
	return &store{byRef: map[string]*resource{}, byID: map[string]*patientRec{}, byNHS: map[string]*patientRec{}, types: map[string]bool{}}
}

func (st *store) next() uint64 {
	st.seq++
	return st.seq
}

func (st *store) addPatient(p *patientRec) error {
	if _, ok := st.byID[p.id]; ok {
		return fmt.Errorf("patient %s is in two bundles: %w", p.id, fault.ErrConflict)
	}
	if other, ok := st.byNHS[p.nhs]; ok {
		return fmt.Errorf("patients %s and %s share an NHS number: %w", other.id, p.id, fault.ErrConflict)
	}
	st.patients = append(st.patients, p)
	st.byID[p.id] = p
	st.byNHS[p.nhs] = p
	return nil
}

// put stores r in p's compartment. A resource already stored (from another bundle)
// joins p's compartment as it is; one already in p's compartment is a conflict.
func (st *store) put(p *patientRec, r *resource) error {
	if have, ok := st.byRef[r.ref()]; ok {
		if have.delSeq != 0 || slices.Contains(have.patients, p.id) {
			return fmt.Errorf("%s already exists: %w", r.ref(), fault.ErrConflict)
		}
		have.patients = append(have.patients, p.id)
		p.resources = append(p.resources, have)
		return nil
	}
	r.seq = st.next()
	r.patients = []string{p.id}
	st.byRef[r.ref()] = r
	st.types[r.typ] = true
	p.resources = append(p.resources, r)
	return nil
}

// compartment is p's resources of type typ (all types when typ is "") that were
// live at seq and pass keep, ordered by (lastUpdated, type, id).
func (st *store) compartment(p *patientRec, typ string, seq uint64, keep func(*resource) bool) []*resource {
	var out []*resource
	for _, r := range p.resources {
		if (typ == "" || r.typ == typ) && r.liveAt(seq) && keep(r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *resource) int {
		return cmp.Or(a.updated.Compare(b.updated), strings.Compare(a.typ, b.typ), strings.Compare(a.id, b.id))
	})
	return out
}

// event is one entry of a history: a resource stored, or deleted.
type event struct {
	r       *resource
	deleted bool
	at      time.Time
	seq     uint64
}

// history is what happened to p's resources of type typ up to seq, at or after
// since, newest first as FHIR orders histories.
func (st *store) history(p *patientRec, typ string, seq uint64, since time.Time) []event {
	var out []event
	for _, r := range p.resources {
		if r.typ != typ {
			continue
		}
		if r.seq <= seq && !r.updated.Before(since) {
			out = append(out, event{r: r, at: r.updated, seq: r.seq})
		}
		if r.delSeq != 0 && r.delSeq <= seq && !r.deleted.Before(since) {
			out = append(out, event{r: r, deleted: true, at: r.deleted, seq: r.delSeq})
		}
	}
	slices.SortFunc(out, func(a, b event) int {
		return cmp.Or(b.at.Compare(a.at), cmp.Compare(b.seq, a.seq))
	})
	return out
}

// remove tombstones a resource.
func (st *store) remove(ref string, now time.Time) error {
	r, ok := st.byRef[ref]
	if !ok || r.delSeq != 0 {
		return fmt.Errorf("%s: %w", ref, fault.ErrNotFound)
	}
	if r.typ == "Patient" {
		return fmt.Errorf("%s: the sandbox's patients are fixed at load: %w", ref, fault.ErrInvalid)
	}
	r.delSeq = st.next()
	r.deleted = now
	return nil
}
