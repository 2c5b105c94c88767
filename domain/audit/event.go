// Package audit models access events: the record of every disclosure and every change
// of who may see what, chained per patient so that a removed or altered event shows.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// ActorKind says who caused an event.
type ActorKind string

const (
	ActorPatient      ActorKind = "patient"
	ActorGuardian     ActorKind = "guardian"
	ActorOrganisation ActorKind = "organisation"
	ActorViewer       ActorKind = "share-code-viewer"
	ActorOperator     ActorKind = "operator"
	ActorSystem       ActorKind = "system"
)

// Actor is who did it, and for which organisation and practitioner when one acted.
type Actor struct {
	Kind             ActorKind
	ID               string
	Organisation     string
	PractitionerID   string
	PractitionerName string
	PractitionerRole string
}

// Event is one access event. Seq, PrevHash and Hash are set by Seal.
type Event struct {
	ID         string
	PatientID  string
	Seq        int64
	At         time.Time
	Actor      Actor
	Action     string
	Basis      string
	Categories []string
	Route      string
	Outcome    string
	PrevHash   string
	Hash       string
}

// Validate checks what every event must say before it is sealed.
func (e Event) Validate() error {
	switch {
	case e.ID == "":
		return fault.Invalid("id", "required")
	case e.PatientID == "":
		return fault.Invalid("patientId", "required")
	case e.Actor.Kind == "":
		return fault.Invalid("actor.kind", "required")
	case e.Action == "":
		return fault.Invalid("action", "required")
	case e.At.IsZero():
		return fault.Invalid("at", "required")
	}
	return nil
}

// Seal places e after prev in its patient's chain (prev is nil for the first event)
// and computes its hash. The time is cut to UTC milliseconds first, the precision
// stores keep, so the hash still matches once the event is read back.
func (e Event) Seal(prev *Event) Event {
	e.At = e.At.UTC().Truncate(time.Millisecond)
	e.Seq, e.PrevHash = 1, ""
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.Hash = e.digest()
	return e
}

// digest hashes every field with a length prefix, so no two different events can
// encode to the same bytes.
func (e Event) digest() string {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(e.ID)
	field(e.PatientID)
	field(strconv.FormatInt(e.Seq, 10))
	field(strconv.FormatInt(e.At.UnixMilli(), 10))
	field(string(e.Actor.Kind))
	field(e.Actor.ID)
	field(e.Actor.Organisation)
	field(e.Actor.PractitionerID)
	field(e.Actor.PractitionerName)
	field(e.Actor.PractitionerRole)
	field(e.Action)
	field(e.Basis)
	field(strconv.Itoa(len(e.Categories)))
	for _, c := range e.Categories {
		field(c)
	}
	field(e.Route)
	field(e.Outcome)
	field(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyChain checks one patient's events in Seq order and returns the index of the
// first event that does not follow from the one before, or -1 when the chain holds.
func VerifyChain(events []Event) int {
	var prev *Event
	for i := range events {
		e := events[i]
		want := e.Seal(prev)
		if e.Seq != want.Seq || e.PrevHash != want.PrevHash || e.Hash != want.Hash {
			return i
		}
		prev = &events[i]
	}
	return -1
}
