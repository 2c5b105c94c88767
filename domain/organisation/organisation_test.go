package organisation_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/organisation"
)

func TestRegistration(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	keys := []byte(`{"keys":[{"kty":"EC"}]}`)
	cases := []struct {
		name  string
		reg   organisation.Registration
		field string // "" when valid
	}{
		{"a trust with inline keys", organisation.Registration{ODSCode: "RR8", Name: "Leeds", JWKS: keys}, ""},
		{"a GP practice, lower case, with a key URL", organisation.Registration{ODSCode: " b86001 ", Name: "Surgery", JWKSURL: "https://keys.example/jwks"}, ""},
		{"loopback http keys, for development", organisation.Registration{ODSCode: "RR8", Name: "Leeds", JWKSURL: "http://127.0.0.1:9000/jwks"}, ""},
		{"ODS code too short", organisation.Registration{ODSCode: "R8", Name: "X", JWKS: keys}, "odsCode"},
		{"ODS code with punctuation", organisation.Registration{ODSCode: "RR-8", Name: "X", JWKS: keys}, "odsCode"},
		{"no name", organisation.Registration{ODSCode: "RR8", Name: "  ", JWKS: keys}, "name"},
		{"no keys", organisation.Registration{ODSCode: "RR8", Name: "X"}, "jwksUrl"},
		{"both kinds of keys", organisation.Registration{ODSCode: "RR8", Name: "X", JWKS: keys, JWKSURL: "https://k.example"}, "jwksUrl"},
		{"keys over plain http", organisation.Registration{ODSCode: "RR8", Name: "X", JWKSURL: "http://keys.example/jwks"}, "jwksUrl"},
		{"a host that only starts like loopback", organisation.Registration{ODSCode: "RR8", Name: "X", JWKSURL: "http://127.0.0.1.evil.example/jwks"}, "jwksUrl"},
		{"credentials in the key URL", organisation.Registration{ODSCode: "RR8", Name: "X", JWKSURL: "https://u:p@keys.example/jwks"}, "jwksUrl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := organisation.New(tc.reg, now)
			if tc.field == "" {
				if err != nil || o.Status != organisation.Active || o.Version != 1 || !o.UpdatedAt.Equal(o.CreatedAt) {
					t.Fatalf("New = %+v, %v", o, err)
				}
				return
			}
			var ve *fault.ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Field != tc.field {
				t.Fatalf("New = %v, want a validation error on %s", err, tc.field)
			}
		})
	}
}

func TestSuspension(t *testing.T) {
	o, _ := organisation.New(organisation.Registration{ODSCode: "RR8", Name: "Leeds", JWKS: []byte(`{}`)}, time.Now())
	if err := o.SetStatus(organisation.Suspended, time.Now()); err != nil || o.Status != organisation.Suspended {
		t.Fatalf("suspend: %v %s", err, o.Status)
	}
	if err := o.SetStatus("closed", time.Now()); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("unknown status accepted: %v", err)
	}
}
