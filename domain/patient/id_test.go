package patient_test

import (
	"regexp"
	"testing"

	"github.com/kith-health/kith/domain/patient"
)

func TestIDFor(t *testing.T) {
	uuidV8 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a := patient.IDFor("https://auth.login.nhs.uk", "alice")
	if !uuidV8.MatchString(a) {
		t.Fatalf("IDFor = %q, not a version 8 UUID", a)
	}
	if a != patient.IDFor("https://auth.login.nhs.uk", "alice") {
		t.Fatal("IDFor is not stable")
	}
	for name, other := range map[string]string{
		"another subject":             patient.IDFor("https://auth.login.nhs.uk", "bob"),
		"same subject, other issuer":  patient.IDFor("https://other.example", "alice"),
		"boundary moved between them": patient.IDFor("https://auth.login.nhs.ukalice", ""),
	} {
		if other == a {
			t.Errorf("%s gives the same id", name)
		}
	}
}
