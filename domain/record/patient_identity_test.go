package record_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

func TestIdentityConflicts(t *testing.T) {
	const nhs, dob = "9434765919", "1987-06-05"
	patient := func(identity string) string {
		return `{"resourceType":"Patient"` + identity + `}`
	}
	bundle := func(resources ...string) string {
		out := `{"resourceType":"Bundle","type":"collection","entry":[`
		for i, r := range resources {
			if i > 0 {
				out += ","
			}
			out += `{"resource":` + r + `}`
		}
		return out + `]}`
	}
	nhsOf := func(n string) string {
		return `,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + n + `"}]`
	}
	cases := []struct {
		name  string
		input string
		want  []string // the fields named; none: no conflict
	}{
		{"the account's own NHS number and birth date", patient(nhsOf(nhs) + `,"birthDate":"` + dob + `"`), nil},
		{"an NHS number written with spaces is the same number", patient(nhsOf("943 476 5919")), nil},
		{"a Patient stating neither contradicts nothing", patient(`,"name":[{"family":"Hughes"}]`), nil},
		{"a lone Patient born on another day", patient(`,"birthDate":"1990-01-01"`), []string{"resource.birthDate"}},
		{"a bundle's third entry with another NHS number and birth date", bundle(`{"resourceType":"Observation"}`,
			`{"resourceType":"Condition"}`, patient(nhsOf("4000000020")+`,"birthDate":"1990-01-01"`)),
			[]string{"entry[2].nhsNumber", "entry[2].birthDate"}},
		{"resources other than Patient are not read for identity", bundle(`{"resourceType":"RelatedPerson","birthDate":"1950-01-01"}`), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ins, err := record.ParseInput([]byte(tc.input), 0)
			if err != nil {
				t.Fatal(err)
			}
			err = record.IdentityConflicts(ins, nhs, dob)
			var ve *fault.ValidationError
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("IdentityConflicts = %v, want none", err)
			case tc.want == nil:
				return
			case !errors.As(err, &ve) || ve.Problem != record.IdentityMismatch:
				t.Fatalf("IdentityConflicts = %v, want an identity-mismatch ValidationError", err)
			}
			var named []string
			for _, f := range ve.Fields {
				named = append(named, f.Field)
				if f.Rule != "account" {
					t.Errorf("%s: rule %q, want account", f.Field, f.Rule)
				}
			}
			if !slices.Equal(named, tc.want) {
				t.Fatalf("named %v, want %v", named, tc.want)
			}
			if msg := err.Error(); strings.Contains(msg, "1990-01-01") || strings.Contains(msg, "4000000020") {
				t.Fatalf("the error quotes a value: %s", msg)
			}
		})
	}
}
