package app

import (
	"context"
	"encoding/json"
	"html"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// ipsEmptyReasons is the HL7 list-empty-reason code system: "unavailable" for a
// section with nothing recorded, "withheld" for one the patient did not share.
const ipsEmptyReasons = "http://terminology.hl7.org/CodeSystem/list-empty-reason"

// RecordIPS is the summary of the record ref names, as much as the caller may see,
// as an HL7 International Patient Summary document Bundle (FHIR R4 JSON). It is
// decided and audited like the summary it is built from: the event is stored
// before any of it is returned.
func (a *App) RecordIPS(ctx context.Context, caller identity.Principal, ref RecordRef) ([]byte, error) {
	r, err := a.openRead(ctx, caller, ref, "record.ips.read")
	if err != nil {
		return nil, err
	}
	p, err := a.store.Patient(ctx, r.ownerID)
	if err != nil {
		return nil, err
	}
	s, err := a.summaryFor(ctx, r, false)
	if err != nil {
		return nil, err
	}
	var cited []record.Entry
	for _, sec := range s.Sections {
		if _, ok := sec.Section.IPS(); !ok {
			continue
		}
		for _, item := range sec.Items {
			e, err := a.store.EntryForDisclosure(ctx, r.ownerID, item.ID)
			if err != nil {
				return nil, err
			}
			cited = append(cited, e)
		}
	}
	if err := a.disclose(ctx, r, audit.Event{Action: "record.ips.read"}); err != nil {
		return nil, err
	}
	return a.ipsDocument(p, s, cited)
}

// ipsDocument assembles the Bundle: the Composition first, then the account's
// Patient, then every resource a section cites, each under the fullUrl it came
// with where that is unique in the Bundle, so references between them resolve.
func (a *App) ipsDocument(p patient.Patient, s record.Summary, cited []record.Entry) ([]byte, error) {
	now := a.now().UTC().Format(time.RFC3339)
	patientURL := "urn:uuid:" + p.ID
	urls := map[string]string{} // entry id -> fullUrl
	used := map[string]bool{patientURL: true}
	type bundleEntry struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
	}
	resources := []bundleEntry{{patientURL, accountPatient(p)}}
	for _, e := range cited {
		u := a.fullURL(e)
		if used[u] || !strings.Contains(u, ":") {
			u = "urn:uuid:" + e.ID
		}
		used[u], urls[e.ID] = true, u
		resources = append(resources, bundleEntry{u, e.Resource})
	}

	var sections []map[string]any
	for _, sec := range s.Sections {
		ips, ok := sec.Section.IPS()
		if !ok {
			continue
		}
		out := map[string]any{
			"title": ips.Title,
			"code":  map[string]any{"coding": []map[string]string{{"system": "http://loinc.org", "code": ips.Code, "display": ips.Title}}},
		}
		var lines []string
		var refs []map[string]string
		for _, item := range sec.Items {
			refs = append(refs, map[string]string{"reference": urls[item.ID]})
			lines = append(lines, itemLine(item))
		}
		switch {
		case !sec.Shared:
			out["emptyReason"] = emptyReason("withheld", "Not shared by the patient")
			lines = []string{"Not shared by the patient."}
		case len(refs) == 0:
			out["emptyReason"] = emptyReason("unavailable", "None recorded")
			lines = []string{"None recorded."}
		default:
			out["entry"] = refs
		}
		out["text"] = narrative(lines)
		sections = append(sections, out)
	}

	compositionID := uuid.New().String()
	composition := map[string]any{
		"resourceType": "Composition", "id": compositionID, "status": "final",
		"type":    map[string]any{"coding": []map[string]string{{"system": "http://loinc.org", "code": "60591-5", "display": "Patient summary Document"}}},
		"subject": map[string]string{"reference": patientURL},
		"date":    now,
		"author":  []map[string]string{{"display": "Kith, from the patient's aggregated record"}},
		"title":   "Patient summary",
		"section": sections,
	}
	compositionJSON, err := json.Marshal(composition)
	if err != nil {
		return nil, err
	}
	bundle := map[string]any{
		"resourceType": "Bundle", "id": uuid.New().String(),
		"identifier": map[string]string{"system": "urn:ietf:rfc:3986", "value": "urn:uuid:" + uuid.New().String()},
		"type":       "document", "timestamp": now,
		"entry": append([]bundleEntry{{"urn:uuid:" + compositionID, compositionJSON}}, resources...),
	}
	return json.Marshal(bundle)
}

func emptyReason(code, text string) map[string]any {
	return map[string]any{"coding": []map[string]string{{"system": ipsEmptyReasons, "code": code}}, "text": text}
}

// narrative is a section's human-readable text, which an IPS section must carry.
func narrative(lines []string) map[string]string {
	var b strings.Builder
	b.WriteString(`<div xmlns="http://www.w3.org/1999/xhtml"><ul>`)
	for _, l := range lines {
		b.WriteString("<li>" + html.EscapeString(l) + "</li>")
	}
	b.WriteString("</ul></div>")
	return map[string]string{"status": "generated", "div": b.String()}
}

// itemLine is one item as the narrative says it: what it is, then what a reader
// needs beside it.
func itemLine(e record.Entry) string {
	d := e.Clinical.Detail
	parts := []string{e.Display.Text}
	for _, p := range []string{d.Criticality, d.Verification, d.Dosage, d.Value, d.ReferenceRange, d.Interpretation} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	for _, r := range d.Reactions {
		parts = append(parts, strings.TrimSpace(strings.Join(r.Manifestations, ", ")+" "+r.Severity))
	}
	return strings.Join(parts, "; ")
}
