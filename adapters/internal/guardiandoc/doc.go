// Package guardiandoc is how both stores write a guardianship and a child's screen:
// one document shape, times in Unix milliseconds (0 where the domain's time is
// zero), so the SQLite JSON column and the MongoDB document say the same thing.
package guardiandoc

import (
	"time"

	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/record"
)

// Establisher is guardianship.Establisher as stored.
type Establisher struct {
	Kind         string `json:"kind" bson:"kind"`
	ID           string `json:"id" bson:"id"`
	Organisation string `json:"organisation,omitempty" bson:"organisation,omitempty"`
	Name         string `json:"name,omitempty" bson:"name,omitempty"`
}

// Restriction is guardianship.Restriction as stored.
type Restriction struct {
	At     int64       `json:"at" bson:"at"`
	By     Establisher `json:"by" bson:"by"`
	Reason string      `json:"reason,omitempty" bson:"reason,omitempty"`
}

// Guardianship is one relationship. ChildID is the shard key in MongoDB and the
// first column of every SQLite index; GuardianID is the guardian's own list.
type Guardianship struct {
	ID                string       `json:"id" bson:"_id"`
	ChildID           string       `json:"childId" bson:"child_id"`
	GuardianID        string       `json:"guardianId" bson:"guardian_id"`
	Relationship      string       `json:"relationship" bson:"relationship"`
	LegalBasis        string       `json:"legalBasis" bson:"legal_basis"`
	EvidenceKind      string       `json:"evidenceKind" bson:"evidence_kind"`
	EvidenceReference string       `json:"evidenceReference" bson:"evidence_reference"`
	EstablishedBy     Establisher  `json:"establishedBy" bson:"established_by"`
	Start             int64        `json:"start" bson:"start"`
	End               int64        `json:"end" bson:"end"`
	Status            string       `json:"status" bson:"status"`
	StatusReason      string       `json:"statusReason,omitempty" bson:"status_reason,omitempty"`
	Access            []string     `json:"access" bson:"access"`
	ChildGranted      []string     `json:"childGranted" bson:"child_granted"`
	Renewed           bool         `json:"renewed" bson:"renewed"`
	Restriction       *Restriction `json:"restriction,omitempty" bson:"restriction,omitempty"`
	LastActionAt      int64        `json:"lastActionAt" bson:"last_action_at"`
	ReviewedAt        int64        `json:"reviewedAt" bson:"reviewed_at"`
	CreatedAt         int64        `json:"createdAt" bson:"created_at"`
	UpdatedAt         int64        `json:"updatedAt" bson:"updated_at"`
	Version           int64        `json:"version" bson:"version"`
}

// FromGuardianship is g as stored.
func FromGuardianship(g guardianship.Guardianship) Guardianship {
	d := Guardianship{
		ID: g.ID, ChildID: g.ChildID, GuardianID: g.GuardianID,
		Relationship: string(g.Relationship), LegalBasis: string(g.LegalBasis),
		EvidenceKind: string(g.Evidence.Kind), EvidenceReference: g.Evidence.Reference,
		EstablishedBy: fromEstablisher(g.EstablishedBy),
		Start:         ms(g.Start), End: ms(g.End), Status: string(g.Status), StatusReason: g.StatusReason,
		Access: strings(g.Access), ChildGranted: strings(g.ChildGranted), Renewed: g.Renewed,
		LastActionAt: ms(g.LastActionAt), ReviewedAt: ms(g.ReviewedAt),
		CreatedAt: ms(g.CreatedAt), UpdatedAt: ms(g.UpdatedAt), Version: g.Version,
	}
	if r := g.Restriction; r != nil {
		d.Restriction = &Restriction{At: ms(r.At), By: fromEstablisher(r.By), Reason: r.Reason}
	}
	return d
}

// Guardianship is the stored relationship as the domain has it.
func (d Guardianship) Guardianship() guardianship.Guardianship {
	g := guardianship.Guardianship{
		ID: d.ID, ChildID: d.ChildID, GuardianID: d.GuardianID,
		Relationship: guardianship.Relationship(d.Relationship), LegalBasis: guardianship.LegalBasis(d.LegalBasis),
		Evidence:      guardianship.Evidence{Kind: guardianship.EvidenceKind(d.EvidenceKind), Reference: d.EvidenceReference},
		EstablishedBy: d.EstablishedBy.establisher(),
		Start:         at(d.Start), End: at(d.End), Status: guardianship.Status(d.Status), StatusReason: d.StatusReason,
		Access: categories(d.Access), ChildGranted: categories(d.ChildGranted), Renewed: d.Renewed,
		LastActionAt: at(d.LastActionAt), ReviewedAt: at(d.ReviewedAt),
		CreatedAt: at(d.CreatedAt), UpdatedAt: at(d.UpdatedAt), Version: d.Version,
	}
	if r := d.Restriction; r != nil {
		g.Restriction = &guardianship.Restriction{At: at(r.At), By: r.By.establisher(), Reason: r.Reason}
	}
	return g
}

// Screen is a child's screen: one document per child, keyed by the child's id.
type Screen struct {
	ChildID          string   `json:"childId" bson:"_id"`
	HiddenCategories []string `json:"hiddenCategories" bson:"hidden_categories"`
	HiddenEntries    []string `json:"hiddenEntries" bson:"hidden_entries"`
	Safeguarding     []string `json:"safeguarding" bson:"safeguarding"`
	UpdatedAt        int64    `json:"updatedAt" bson:"updated_at"`
	Version          int64    `json:"version" bson:"version"`
}

// FromScreen is s as stored.
func FromScreen(s guardianship.Screen) Screen {
	return Screen{
		ChildID: s.ChildID, HiddenCategories: strings(s.HiddenCategories),
		HiddenEntries: nonNil(s.HiddenEntries), Safeguarding: nonNil(s.Safeguarding),
		UpdatedAt: ms(s.UpdatedAt), Version: s.Version,
	}
}

// Screen is the stored screen as the domain has it.
func (d Screen) Screen() guardianship.Screen {
	return guardianship.Screen{
		ChildID: d.ChildID, HiddenCategories: categories(d.HiddenCategories),
		HiddenEntries: emptyNil(d.HiddenEntries), Safeguarding: emptyNil(d.Safeguarding),
		UpdatedAt: at(d.UpdatedAt), Version: d.Version,
	}
}

func fromEstablisher(e guardianship.Establisher) Establisher {
	return Establisher{Kind: e.Kind, ID: e.ID, Organisation: e.Organisation, Name: e.Name}
}

func (e Establisher) establisher() guardianship.Establisher {
	return guardianship.Establisher{Kind: e.Kind, ID: e.ID, Organisation: e.Organisation, Name: e.Name}
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func at(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// strings stores lists as arrays, never null, so a query on them needs no null case.
func strings(cs []record.Category) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, string(c))
	}
	return out
}

func categories(ss []string) []record.Category {
	if len(ss) == 0 {
		return nil
	}
	out := make([]record.Category, 0, len(ss))
	for _, s := range ss {
		out = append(out, record.Category(s))
	}
	return out
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func emptyNil(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return ss
}
