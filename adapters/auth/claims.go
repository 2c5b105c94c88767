// Package auth verifies the tokens callers present and, in development mode, issues
// tokens itself, so the app and tests can sign in without an external identity
// provider. Tokens and keys are handled with lestrrat-go/jwx/v3.
package auth

// Claim names Kith reads from patient tokens, as NHS login issues them.
const (
	claimNHSNumber  = "nhs_number"
	claimBirthDate  = "birthdate"
	claimGivenName  = "given_name"
	claimFamilyName = "family_name"
	claimProofing   = "identity_proofing_level"
	claimVoT        = "vot"
)
