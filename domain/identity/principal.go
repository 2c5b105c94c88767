// Package identity describes who is calling: a verified principal, handed by the
// token verifier to the application layer.
package identity

import (
	"time"

	"github.com/kith-health/kith/domain/patient"
)

// Kind is the sort of caller.
type Kind string

const (
	KindPatient      Kind = "patient"
	KindOrganisation Kind = "organisation"
	KindOperator     Kind = "operator"
	KindViewer       Kind = "share-code-viewer"
)

// Practitioner is the person acting for an organisation, as its client assertion says.
type Practitioner struct {
	ID   string
	Name string
	Role string
}

// Principal is a caller whose token has been verified. Only the token verifier builds
// one; the app trusts it.
type Principal struct {
	Kind Kind
	// Patient carries the identity provider's claims when Kind is KindPatient.
	Patient patient.Claims
	// ODSCode and Practitioner say who acts when Kind is KindOrganisation.
	ODSCode      string
	Practitioner Practitioner
	// Operator is the operator's subject when Kind is KindOperator.
	Operator string
	// Viewer is the session a share code opened when Kind is KindViewer.
	Viewer Viewer
	// ActingFor is the account a patient's request is about when it names one
	// (/v1/patients/{patientId}/...): their own, or a child's they are guardian of.
	// Empty means their own. Naming it grants nothing: the access decision does.
	ActingFor string
}

// Viewer is a share-code viewer's session: whose record, through which code, who.
type Viewer struct {
	SessionID    string
	ShareCodeID  string
	PatientID    string
	Name, Role   string
	Organisation string // when organisation staff redeemed the code
	Label        string
	ExpiresAt    time.Time
}
