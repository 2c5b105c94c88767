package keyring_test

import (
	"testing"
	"time"

	"github.com/kith-health/kith/domain/keyring"
)

func TestRotation(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	var ring keyring.Keyring
	if !ring.Due(t0, 30*day) {
		t.Fatal("an empty keyring should be due")
	}
	ring = ring.Rotate(keyring.Key{ID: "k1"}, t0, time.Hour)
	if ring.Due(t0.Add(29*day), 30*day) || !ring.Due(t0.Add(30*day), 30*day) {
		t.Fatal("a key should be due exactly at rotateAfter")
	}
	ring = ring.Rotate(keyring.Key{ID: "k2"}, t0.Add(30*day), time.Hour)
	if active, _ := ring.Active(); active.ID != "k2" || len(ring.Keys) != 2 {
		t.Fatalf("after rotation: %+v", ring.Keys)
	}
	// k1 retired at day 30; tokens it signed live an hour, so it goes at the next rotation.
	ring = ring.Rotate(keyring.Key{ID: "k3"}, t0.Add(60*day), time.Hour)
	if len(ring.Keys) != 2 || ring.Keys[0].ID != "k3" || ring.Keys[1].ID != "k2" {
		t.Fatalf("keys kept: %+v", ring.Keys)
	}
	// A rotation within the hour keeps the key it just retired.
	ring = ring.Rotate(keyring.Key{ID: "k4"}, t0.Add(60*day+time.Minute), time.Hour)
	if len(ring.Keys) != 3 || ring.Keys[1].ID != "k3" || ring.Keys[2].ID != "k2" {
		t.Fatalf("keys kept after a quick second rotation: %+v", ring.Keys)
	}
}
