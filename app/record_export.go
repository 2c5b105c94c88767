package app

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// ExportRecord checks the caller may export their record and returns the function
// that writes it: one FHIR R4 Bundle of type collection, the account's Patient first,
// then every entry with the fullUrl it came with, so references between resources
// still resolve. The writer streams: memory stays flat however many entries there
// are. Checking first means a refusal is a clean error, never a half-sent Bundle.
func (a *App) ExportRecord(ctx context.Context, caller identity.Principal) (func(io.Writer) error, error) {
	id, err := ownRecord(caller)
	if err != nil {
		return nil, err
	}
	p, err := a.Me(ctx, caller)
	if err != nil {
		return nil, err
	}
	return func(out io.Writer) error { return a.writeExport(ctx, p, id, out) }, nil
}

func (a *App) writeExport(ctx context.Context, p patient.Patient, id string, out io.Writer) error {
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
