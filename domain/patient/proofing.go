package patient

import (
	"strings"

	"github.com/kith-health/kith/domain/fault"
)

// ProofingLevel is how sure the identity provider is that the person is who they say
// (NHS login's P0, P5, P9). It bounds what a patient may see of their own record.
type ProofingLevel string

const (
	ProofingP0 ProofingLevel = "P0"
	ProofingP5 ProofingLevel = "P5"
	ProofingP9 ProofingLevel = "P9"
)

// ParseProofingLevel accepts "P0", "P5" or "P9", or an NHS login vector of trust such
// as "P9.Cp.Cd", whose P component is the proofing level.
func ParseProofingLevel(s string) (ProofingLevel, error) {
	for _, part := range strings.Split(s, ".") {
		switch ProofingLevel(part) {
		case ProofingP0, ProofingP5, ProofingP9:
			return ProofingLevel(part), nil
		}
	}
	return "", fault.Invalid("identityProofingLevel", "oneof=P0 P5 P9")
}

// AtLeast reports whether l is as strong as min.
func (l ProofingLevel) AtLeast(min ProofingLevel) bool { return l.rank() >= min.rank() }

func (l ProofingLevel) rank() int {
	switch l {
	case ProofingP9:
		return 9
	case ProofingP5:
		return 5
	default:
		return 0
	}
}

// What each proofing level unlocks: P9 the clinical record, P5 only the patient's own
// demographics and settings, P0 nothing beyond signing up.
const (
	NeedForClinicalData = ProofingP9
	NeedForDemographics = ProofingP5
)

// Require refuses, with a reason the app can explain ("verify your identity to see
// this"), a patient whose proofing level is below need.
func (l ProofingLevel) Require(need ProofingLevel) error {
	if !l.AtLeast(need) {
		return fault.Denied("identity-level-too-low")
	}
	return nil
}
