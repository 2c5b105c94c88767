package app

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// ExportRecord checks the caller may export the record ref names, audits the export
// and returns the function that writes it: one FHIR R4 Bundle of type collection,
// the account's Patient first, then every entry the caller may see with the fullUrl
// it came with, so references between resources still resolve. The writer streams:
// memory stays flat however many entries there are. Deciding and auditing first
// means a refusal is a clean error, never a half-sent Bundle.
func (a *App) ExportRecord(ctx context.Context, caller identity.Principal, ref RecordRef) (func(io.Writer) error, error) {
	r, err := a.openRead(ctx, caller, ref, "record.exported")
	if err != nil {
		return nil, err
	}
	var p patient.Patient
	if caller.Kind == identity.KindPatient && r.decision.Basis == access.BasisSelf {
		p, err = a.Me(ctx, caller)
	} else {
		p, err = a.store.Patient(ctx, r.ownerID)
	}
	if err != nil {
		return nil, err
	}
	if err := a.disclose(ctx, r, audit.Event{Action: "record.exported"}); err != nil {
		return nil, err
	}
	return func(out io.Writer) error { return a.writeExport(ctx, p, r.shows, out) }, nil
}

func (a *App) writeExport(ctx context.Context, p patient.Patient, shows func(record.Entry) bool, out io.Writer) error {
	id := p.ID
	w := bufio.NewWriterSize(out, 64<<10)
	header := map[string]any{
		"resourceType": "Bundle", "type": "collection",
		"timestamp": a.now().UTC().Format(time.RFC3339),
	}
	head, _ := json.Marshal(header)
	w.Write(head[:len(head)-1])
	w.WriteString(`,"entry":[`)
	if err := writeBundleEntry(w, "urn:uuid:"+p.ID, accountPatient(p)); err != nil {
		return err
	}
	err := a.store.EachEntryForDisclosure(ctx, id, func(e record.Entry) error {
		if !shows(e) {
			return nil
		}
		w.WriteByte(',')
		return writeBundleEntry(w, a.fullURL(e), e.Resource)
	})
	if err != nil {
		return err
	}
	w.WriteString("]}")
	return w.Flush()
}

func writeBundleEntry(w *bufio.Writer, fullURL string, resource []byte) error {
	u, err := json.Marshal(fullURL)
	if err != nil {
		return err
	}
	w.WriteString(`{"fullUrl":`)
	w.Write(u)
	w.WriteString(`,"resource":`)
	_, err = w.Write(resource)
	w.WriteByte('}')
	return err
}

// fullURL is the fullUrl an entry came with, or its RESTful identity under Kith's
// base, against which relative references like "Encounter/123" resolve.
func (a *App) fullURL(e record.Entry) string {
	for _, pv := range e.Provenances {
		if pv.FullURL != "" && e.Source() == pv.Source {
			return pv.FullURL
		}
	}
	sourceID := ""
	if len(e.Provenances) > 0 {
		sourceID = e.Provenances[0].SourceID
	}
	return strings.TrimSuffix(a.publicURL, "/") + "/fhir/" + e.ResourceType + "/" + sourceID
}

// accountPatient is the account as a FHIR Patient: who the export is about.
func accountPatient(p patient.Patient) []byte {
	res := map[string]any{"resourceType": "Patient", "id": p.ID}
	if n := p.NHSNumber.Value(); n != "" {
		res["identifier"] = []map[string]string{{"system": record.NHSNumberSystem, "value": n}}
	}
	if p.Name != (patient.Name{}) {
		name := map[string]any{"use": "official"}
		if p.Name.Family != "" {
			name["family"] = p.Name.Family
		}
		if p.Name.Given != "" {
			name["given"] = []string{p.Name.Given}
		}
		res["name"] = []any{name}
	}
	if d := p.BirthDate.Value(); d != "" {
		res["birthDate"] = d
	}
	raw, _ := json.Marshal(res)
	return raw
}
