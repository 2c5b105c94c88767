package synthetic

import (
	"bytes"
	"encoding/json"
	"time"
)

// fullURLBase makes each entry's fullUrl a RESTful URL ending in Type/id, so the
// relative references between resources ("Encounter/<id>") resolve within the
// bundle by the specification's rule (against the referring entry's base), not
// only by convention, as they would not with urn:uuid fullUrls.
const fullURLBase = sysSynthetic + "/fhir/"

type entry struct {
	FullURL  string       `json:"fullUrl"`
	Resource fhirResource `json:"resource"`
}

type bundle struct {
	ResourceType string     `json:"resourceType"`
	ID           string     `json:"id"`
	Meta         meta       `json:"meta"`
	Identifier   identifier `json:"identifier"`
	Type         string     `json:"type"`
	Timestamp    string     `json:"timestamp"`
	Entry        []entry    `json:"entry"`
}

// start begins the next resource of the record: its id (the record's n-th), its
// version, when it was last written, and the identifier a store dedupes on. What
// happened before the history (a childhood allergy, a long-standing condition)
// was last written when the history starts, as if migrated from an older system.
func (g *gen) start(resourceType string, updated time.Time) resource {
	id := resourceID(g.in.seed, g.in.person.NHSNumber, g.n)
	g.n++
	if updated.Before(g.from) {
		updated = g.from
	}
	return resource{
		ResourceType: resourceType,
		ID:           id,
		Meta:         meta{VersionID: "1", LastUpdated: instant(updated)},
		Identifier:   []identifier{{System: sysSynthetic, Value: id}},
	}
}

// add appends a resource to the bundle. Resources may still be changed after
// they are added (an encounter learns its diagnosis once the condition exists):
// nothing is encoded until marshal.
func (g *gen) add(r fhirResource) {
	b := r.base()
	g.entries = append(g.entries, entry{FullURL: fullURLBase + b.ResourceType + "/" + b.ID, Resource: r})
}

// marshal encodes the bundle. HTML escaping is off: the record is FHIR JSON, not
// a web page, and "<" should stay "<" in a letter or a display.
func (g *gen) marshal() ([]byte, error) {
	id := resourceID(g.in.seed, g.in.person.NHSNumber, -1)
	out := bundle{
		ResourceType: "Bundle",
		ID:           id,
		Meta:         meta{VersionID: "1", LastUpdated: instant(g.in.now)},
		Identifier:   identifier{System: sysSynthetic, Value: id},
		Type:         "collection",
		Timestamp:    instant(g.in.now),
		Entry:        g.entries,
	}
	var buf bytes.Buffer
	buf.Grow(len(g.entries) * 900)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
