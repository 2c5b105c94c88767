package app

import (
	"context"

	"github.com/kith-health/kith/domain/guardianship"
)

// GuardianshipStore keeps who acts for whose child, and what each child's record
// screens from its guardians. Every method is scoped by the child, except the
// guardian's own list.
type GuardianshipStore interface {
	// CreateGuardianship stores a new relationship. fault.ErrConflict if the id is
	// taken; of concurrent creations with one id exactly one succeeds.
	CreateGuardianship(ctx context.Context, g guardianship.Guardianship) error

	// Guardianship reads one. fault.ErrNotFound if the child has no such relationship.
	Guardianship(ctx context.Context, childID, id string) (guardianship.Guardianship, error)

	// GuardianshipsOfChild lists every relationship of one child, of any status,
	// oldest first. Read on every guardian's request: no cache sits between a
	// safeguarding restriction and the next read.
	GuardianshipsOfChild(ctx context.Context, childID string) ([]guardianship.Guardianship, error)

	// GuardianshipsOfGuardian lists every relationship the account holds as
	// guardian, of any status, oldest first.
	GuardianshipsOfGuardian(ctx context.Context, guardianID string) ([]guardianship.Guardianship, error)

	// UpdateGuardianship applies update with compare-and-set on the version, as
	// UpdateGrant does. fault.ErrNotFound if there is none.
	UpdateGuardianship(ctx context.Context, childID, id string, update func(*guardianship.Guardianship) error) (guardianship.Guardianship, error)

	// Screen reads what the child's record screens from guardians: the zero Screen
	// (ChildID set, Version 0) when nothing ever was.
	Screen(ctx context.Context, childID string) (guardianship.Screen, error)

	// UpdateScreen applies update with compare-and-set on the version, creating the
	// screen when there is none; of concurrent updates none is lost.
	UpdateScreen(ctx context.Context, childID string, update func(*guardianship.Screen) error) (guardianship.Screen, error)
}
