package record_test

import (
	"reflect"
	"testing"

	"github.com/kith-health/kith/domain/record"
)

func TestClinicalOfAllergyRankAndDetail(t *testing.T) {
	cases := []struct {
		name   string
		raw    string
		rank   int
		detail record.Detail
	}{
		{"high criticality ranks first", `{"criticality":"high"}`, 0, record.Detail{Criticality: "high"}},
		{"unable to assess ranks next", `{"criticality":"unable-to-assess"}`, 1,
			record.Detail{Criticality: "unable-to-assess"}},
		{"no criticality stated ranks above low", `{}`, 2, record.Detail{}},
		{"low criticality ranks last", `{"criticality":"low"}`, 3, record.Detail{Criticality: "low"}},
		{"confirmed is not worth saying", `{"verificationStatus":{"coding":[{"code":"confirmed"}]}}`, 2, record.Detail{}},
		{"unconfirmed is", `{"verificationStatus":{"coding":[{"code":"unconfirmed"}]}}`, 2,
			record.Detail{Verification: "unconfirmed"}},
		{"presumed is", `{"verificationStatus":{"coding":[{"code":"presumed"}]}}`, 2,
			record.Detail{Verification: "presumed"}},
		{"each reaction's manifestations and severity",
			`{"reaction":[{"manifestation":[{"text":"Hives"},{"coding":[{"display":"Wheeze"}]}],"severity":"moderate"},{"manifestation":[{"coding":[{"code":"39579001"}]}],"severity":"severe"}]}`,
			2, record.Detail{Reactions: []record.Reaction{
				{Manifestations: []string{"Hives", "Wheeze"}, Severity: "moderate"}, {Severity: "severe"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := record.ClinicalOf("AllergyIntolerance", []byte(tc.raw))
			if got.Rank != tc.rank || !reflect.DeepEqual(got.Detail, tc.detail) {
				t.Fatalf("ClinicalOf = rank %d %+v; want %d %+v", got.Rank, got.Detail, tc.rank, tc.detail)
			}
		})
	}
}

func TestClinicalOfProblemVerification(t *testing.T) {
	got := record.ClinicalOf("Condition",
		[]byte(`{"clinicalStatus":{"coding":[{"code":"active"}]},"verificationStatus":{"coding":[{"code":"provisional"}]}}`))
	if !got.Current || got.Detail.Verification != "provisional" {
		t.Fatalf("provisional active problem: %+v", got)
	}
}
