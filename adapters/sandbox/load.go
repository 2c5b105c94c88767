package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/patient"
)

// LoadDir reads every *.json Bundle file in dir that holds a Patient, sorted by
// name. Files that are not Bundles, and Bundles with no Patient (Synthea's
// hospitalInformation and practitionerInformation files of shared organisations
// and practitioners), are left out: the sandbox serves one patient per bundle.
func LoadDir(dir string) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, f := range files { // Glob sorts
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var peek struct {
			ResourceType string `json:"resourceType"`
			Entry        []struct {
				Resource struct {
					ResourceType string `json:"resourceType"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &peek); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if peek.ResourceType != "Bundle" {
			continue
		}
		for _, e := range peek.Entry {
			if e.Resource.ResourceType == "Patient" {
				out = append(out, raw)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no Bundle with a Patient in it", dir)
	}
	return out, nil
}

// fhirID is FHIR's id syntax.
var fhirID = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// decoded is one resource of a bundle being loaded.
type decoded struct {
	typ, id string
	obj     map[string]any
}

// load stores one bundle's resources in a new patient's compartment. Its failure
// fails New, so a half-loaded bundle is never served.
func (s *Sandbox) load(raw []byte, now time.Time) error {
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return err
	}
	if b.ResourceType != "Bundle" {
		return fmt.Errorf("resourceType is %q, not Bundle", b.ResourceType)
	}
	var all []decoded
	pat := -1
	refs := map[string]string{} // fullUrl -> Type/id
	for i, e := range b.Entry {
		d, err := decode(e.Resource)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		if d.id == "" {
			d.id = idFromFullURL(e.FullURL, d.typ)
		}
		if d.id == "" {
			s.mu.Lock()
			d.id = s.newID()
			s.mu.Unlock()
		}
		if !fhirID.MatchString(d.id) {
			return fmt.Errorf("entry %d: id %q is not a FHIR id", i, d.id)
		}
		d.obj["id"] = d.id
		if e.FullURL != "" {
			refs[e.FullURL] = d.typ + "/" + d.id
		}
		all = append(all, d)
		if d.typ == "Patient" {
			if pat >= 0 {
				return errors.New("holds more than one Patient")
			}
			pat = len(all) - 1
		}
	}
	if pat < 0 {
		return errors.New("holds no Patient")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.patientOf(all[pat].id, all[pat].obj)
	if err != nil {
		return err
	}
	resources := make([]*resource, 0, len(all))
	for _, d := range all {
		rewriteRefs(d.obj, refs)
		updated, err := stampMeta(d.obj, now, false)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", d.typ, d.id, err)
		}
		body, err := encode(d.obj)
		if err != nil {
			return err
		}
		resources = append(resources, &resource{typ: d.typ, id: d.id, updated: updated, body: body})
	}
	if err := s.st.addPatient(p); err != nil {
		return err
	}
	for _, r := range resources {
		if err := s.st.put(p, r); err != nil {
			return err
		}
	}
	return nil
}

// decode reads one resource as a JSON object, numbers kept exact.
func decode(raw []byte) (decoded, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return decoded{}, errors.New("resource is not a JSON object")
	}
	typ, _ := obj["resourceType"].(string)
	if typ == "" || typ == "Bundle" || !fhirTypeName.MatchString(typ) {
		return decoded{}, fmt.Errorf("resourceType %q is not one the sandbox serves", typ)
	}
	id, _ := obj["id"].(string)
	return decoded{typ: typ, id: id, obj: obj}, nil
}

var fhirTypeName = regexp.MustCompile(`^[A-Z][A-Za-z]{1,63}$`)

// idFromFullURL is the id a fullUrl names: a urn:uuid's uuid, or a RESTful URL's
// last segment after its type.
func idFromFullURL(fullURL, typ string) string {
	if id, ok := strings.CutPrefix(fullURL, "urn:uuid:"); ok {
		return id
	}
	if i := strings.LastIndex(fullURL, "/"+typ+"/"); i >= 0 {
		return fullURL[i+len(typ)+2:]
	}
	return ""
}

// rewriteRefs turns references to other entries of the bundle, by their fullUrl,
// into "Type/id", which resolve against the sandbox's base.
func rewriteRefs(v any, refs map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && k == "reference" {
				if to, ok := refs[s]; ok {
					t[k] = to
				}
				continue
			}
			rewriteRefs(x, refs)
		}
	case []any:
		for _, x := range t {
			rewriteRefs(x, refs)
		}
	}
}

// stampMeta sets meta.versionId "1" and meta.lastUpdated now, keeping what the
// resource has unless force (a resource the sandbox stores now was written now).
// It returns the lastUpdated in force.
func stampMeta(obj map[string]any, now time.Time, force bool) (time.Time, error) {
	meta, _ := obj["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["meta"] = meta
	}
	if _, ok := meta["versionId"].(string); !ok || force {
		meta["versionId"] = "1"
	}
	if have, ok := meta["lastUpdated"].(string); ok && !force {
		t, err := time.Parse(time.RFC3339Nano, have)
		if err != nil {
			return time.Time{}, fmt.Errorf("meta.lastUpdated %q is not an instant", have)
		}
		return t.UTC(), nil
	}
	meta["lastUpdated"] = formatInstant(now)
	return now, nil
}

// patientOf reads the Patient's NHS number and birth date, giving it a derived test
// number when it has none. The caller holds s.mu.
func (s *Sandbox) patientOf(id string, obj map[string]any) (*patientRec, error) {
	p := &patientRec{id: id}
	p.birthDate, _ = obj["birthDate"].(string)
	ids, _ := obj["identifier"].([]any)
	for _, x := range ids {
		m, _ := x.(map[string]any)
		system, _ := m["system"].(string)
		value, _ := m["value"].(string)
		p.identifiers = append(p.identifiers, identifier{system, value})
		if system == patient.NHSNumberSystem && p.nhs == "" {
			n, err := patient.ParseNHSNumber(value)
			if err != nil {
				return nil, fmt.Errorf("patient %s: NHS number: %w", id, err)
			}
			p.nhs = n.Value()
		}
	}
	if p.nhs == "" {
		p.nhs = derivedNHSNumber(id, func(n string) bool { _, taken := s.st.byNHS[n]; return taken })
		obj["identifier"] = append(ids, map[string]any{"system": patient.NHSNumberSystem, "value": p.nhs})
		p.identifiers = append(p.identifiers, identifier{patient.NHSNumberSystem, p.nhs})
	}
	return p, nil
}

// encode writes FHIR JSON with "<" left as it is (narratives hold XHTML) and a
// resource's resourceType first, where people and streaming parsers look for it.
func encode(v any) ([]byte, error) {
	if m, ok := v.(map[string]any); ok {
		if typ, ok := m["resourceType"]; ok {
			rest := make(map[string]any, len(m))
			for k, x := range m {
				if k != "resourceType" {
					rest[k] = x
				}
			}
			head, err := encodePlain(map[string]any{"resourceType": typ})
			if err != nil {
				return nil, err
			}
			tail, err := encodePlain(rest)
			if err != nil || len(rest) == 0 {
				return head, err
			}
			return append(append(head[:len(head)-1], ','), tail[1:]...), nil
		}
	}
	return encodePlain(v)
}

func encodePlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

const instantLayout = "2006-01-02T15:04:05.000Z07:00"

func formatInstant(t time.Time) string { return t.UTC().Format(instantLayout) }
