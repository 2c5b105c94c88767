package patient_test

import (
	"errors"
	"testing"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
)

func TestParseNHSNumber(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"valid ten digits", "9434765919", "9434765919"},
		{"valid grouped with spaces", "943 476 5919", "9434765919"},
		{"valid grouped with hyphens", "943-476-5919", "9434765919"},
		{"check digit 11 means 0", "4000000020", "4000000020"},
		{"wrong check digit", "9434765918", ""},
		{"check digit would be 10: never issued", "4000000080", ""},
		{"nine digits", "943476591", ""},
		{"eleven digits", "94347659190", ""},
		{"letters", "94347659A9", ""},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := patient.ParseNHSNumber(tc.in)
			if tc.want == "" {
				if !errors.Is(err, fault.ErrInvalid) {
					t.Fatalf("ParseNHSNumber(%q) = %q, %v; want ErrInvalid", tc.in, got, err)
				}
				return
			}
			if err != nil || got.Value() != tc.want {
				t.Fatalf("ParseNHSNumber(%q) = %q, %v; want %q", tc.in, got.Value(), err, tc.want)
			}
		})
	}
}

func TestNHSNumberNeverPrints(t *testing.T) {
	n, err := patient.ParseNHSNumber("9434765919")
	if err != nil {
		t.Fatal(err)
	}
	if s := n.String(); s == "9434765919" {
		t.Fatalf("String() printed the NHS number")
	}
}

func TestParseProofingLevel(t *testing.T) {
	cases := []struct {
		name, in string
		want     patient.ProofingLevel
		ok       bool
	}{
		{"plain P9", "P9", patient.ProofingP9, true},
		{"plain P5", "P5", patient.ProofingP5, true},
		{"plain P0", "P0", patient.ProofingP0, true},
		{"vector of trust", "P9.Cp.Cd", patient.ProofingP9, true},
		{"vector of trust, P in the middle", "Cp.P5.Cd", patient.ProofingP5, true},
		{"unknown level", "P7", "", false},
		{"empty", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := patient.ParseProofingLevel(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("ParseProofingLevel(%q) = %q, %v", tc.in, got, err)
			}
		})
	}
	if !patient.ProofingP9.AtLeast(patient.ProofingP5) || patient.ProofingP5.AtLeast(patient.ProofingP9) {
		t.Fatal("AtLeast does not order P5 below P9")
	}
}

func TestProofingLevelsUnlockTheirData(t *testing.T) {
	cases := []struct {
		level patient.ProofingLevel
		need  patient.ProofingLevel
		ok    bool
	}{
		{patient.ProofingP9, patient.NeedForClinicalData, true},
		{patient.ProofingP5, patient.NeedForClinicalData, false},
		{patient.ProofingP0, patient.NeedForClinicalData, false},
		{patient.ProofingP5, patient.NeedForDemographics, true},
		{patient.ProofingP0, patient.NeedForDemographics, false},
	}
	for _, tc := range cases {
		err := tc.level.Require(tc.need)
		var denied *fault.DeniedError
		if tc.ok != (err == nil) || (err != nil && (!errors.As(err, &denied) || denied.Reason != "identity-level-too-low" || !errors.Is(err, fault.ErrForbidden))) {
			t.Errorf("%s.Require(%s) = %v", tc.level, tc.need, err)
		}
	}
}
