package record_test

import (
	"testing"

	"github.com/kith-health/kith/domain/record"
)

func TestSubjectConflicts(t *testing.T) {
	for _, tc := range []struct {
		name, resource string
		conflict       bool
	}{
		{"the patient", `{"resourceType":"Observation","subject":{"reference":"Patient/p1"}}`, false},
		{"absolute, with history", `{"resourceType":"Observation","subject":{"reference":"https://x.nhs.uk/r4/t/Patient/p1/_history/3"}}`, false},
		{"no subject", `{"resourceType":"Practitioner","name":[{"family":"Okafor"}]}`, false},
		{"a group", `{"resourceType":"Observation","subject":{"reference":"Group/g1"}}`, false},
		{"someone else", `{"resourceType":"Observation","subject":{"reference":"Patient/p2"}}`, true},
		{"someone else's allergy", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p2"}}`, true},
		{"someone else's cover", `{"resourceType":"Coverage","beneficiary":{"reference":"https://x/Patient/p9"}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ins, err := record.ParseInput([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":`+tc.resource+`}]}`), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if err := record.SubjectConflicts(ins, "p1"); (err != nil) != tc.conflict {
				t.Fatalf("SubjectConflicts = %v, want conflict %v", err, tc.conflict)
			}
		})
	}
}
