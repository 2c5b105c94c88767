// Package storetest is the conformance suite every app.Store adapter runs in its own
// tests, so the SQLite and MongoDB stores are held to one contract.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
)

// Open returns a new, empty, migrated store. The suite closes it.
type Open func(t *testing.T) app.Store

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open Open) {
	t.Run("Patients", func(t *testing.T) { testPatients(t, open) })
	t.Run("PatientRaces", func(t *testing.T) { testPatientRaces(t, open) })
	t.Run("AccessEvents", func(t *testing.T) { testAccessEvents(t, open) })
	t.Run("AccessEventRaces", func(t *testing.T) { testAccessEventRaces(t, open) })
	t.Run("Organisations", func(t *testing.T) { testOrganisations(t, open) })
	t.Run("OrganisationRaces", func(t *testing.T) { testOrganisationRaces(t, open) })
	t.Run("Assertions", func(t *testing.T) { testAssertions(t, open) })
	t.Run("AssertionRaces", func(t *testing.T) { testAssertionRaces(t, open) })
	t.Run("Keyring", func(t *testing.T) { testKeyring(t, open) })
	t.Run("KeyringRaces", func(t *testing.T) { testKeyringRaces(t, open) })
	t.Run("Records", func(t *testing.T) { testRecords(t, open) })
	t.Run("RecordRaces", func(t *testing.T) { testRecordRaces(t, open) })
	t.Run("RecordBatches", func(t *testing.T) { testRecordBatches(t, open) })
	t.Run("RecordLists", func(t *testing.T) { testRecordLists(t, open) })
	t.Run("RecordExport", func(t *testing.T) { testRecordExport(t, open) })
	t.Run("RecordChanges", func(t *testing.T) { testRecordChanges(t, open) })
	t.Run("RecordMarks", func(t *testing.T) { testRecordMarks(t, open) })
	t.Run("SummaryDocs", func(t *testing.T) { testSummaryDocs(t, open) })
	t.Run("Tally", func(t *testing.T) { testTally(t, open) })
	t.Run("Grants", func(t *testing.T) { testGrants(t, open) })
	t.Run("GrantRaces", func(t *testing.T) { testGrantRaces(t, open) })
	t.Run("PatientLookups", func(t *testing.T) { testPatientLookups(t, open) })
	t.Run("AccessReports", func(t *testing.T) { testAccessReports(t, open) })
	t.Run("ScopedLists", func(t *testing.T) { testScopedLists(t, open) })
	t.Run("ShareCodes", func(t *testing.T) { testShareCodes(t, open) })
	t.Run("ShareCodeRaces", func(t *testing.T) { testShareCodeRaces(t, open) })
	t.Run("Alerts", func(t *testing.T) { testAlerts(t, open) })
	t.Run("Devices", func(t *testing.T) { testDevices(t, open) })
	t.Run("Exchanges", func(t *testing.T) { testExchanges(t, open) })
	t.Run("ExchangeLinks", func(t *testing.T) { testExchangeLinks(t, open) })
	t.Run("LinkClaims", func(t *testing.T) { testLinkClaims(t, open) })
	t.Run("LinkRaces", func(t *testing.T) { testLinkRaces(t, open) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, open) })
	t.Run("Guardianships", func(t *testing.T) { testGuardianships(t, open) })
	t.Run("Screens", func(t *testing.T) { testScreens(t, open) })
}

func openStore(t *testing.T, open Open) app.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// at is a time with nanoseconds and a non-UTC zone, to prove stores normalise.
var at = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("BST", 3600))
