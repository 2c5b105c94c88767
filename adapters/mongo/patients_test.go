package mongo_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kith-health/kith/adapters/mongo/mongotest"
)

// Accounts stored before patients could switch break-glass off have no
// break_glass_refused field; they must read as allowing it, the default.
func TestAccountsFromBeforeSettingsAllowBreakGlass(t *testing.T) {
	t.Parallel()
	uri, backend := mongotest.URI(t)
	t.Logf("store backend: %s", backend)
	s, database := openAt(t, uri)
	if _, err := s.Migrate(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := collection(t, uri, database, "patients").InsertOne(ctx(t), bson.D{
		{Key: "_id", Value: "patient-old"}, {Key: "issuer", Value: "https://idp.example"}, {Key: "subject", Value: "s"},
		{Key: "proofing", Value: "P9"}, {Key: "created_at", Value: bson.DateTime(0)}, {Key: "updated_at", Value: bson.DateTime(0)},
		{Key: "version", Value: int64(1)},
	}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Patient(ctx(t), "patient-old")
	if err != nil || !p.Settings.BreakGlassAllowed {
		t.Fatalf("Patient(stored before settings) = %+v, %v; want break-glass allowed", p.Settings, err)
	}
}
