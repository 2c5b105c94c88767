package record

import gojson "github.com/goccy/go-json"

// The rules read resources as generic JSON rather than through Go structs on
// purpose: encoding/json matches struct fields case-insensitively, so a resource
// carrying both "code" and "CODE" would be classified by a field every FHIR reader
// of the stored bytes ignores. Maps match keys exactly, as FHIR does.

// decodePart decodes a part of a delivery that encoding/json has already read
// whole (ParseInput checks the body before it reads any part of it), or a
// resource stored after that check, with github.com/goccy/go-json: it checks
// syntax as it decodes instead of in a pass of its own, and re-checking every part
// of every resource was a sixth of ingest's time. Malformed JSON is still an error.
func decodePart(raw []byte, v any) error { return gojson.Unmarshal(raw, v) }

// jsonObject decodes raw as a JSON object; nil when it is not one.
func jsonObject(raw []byte) map[string]any {
	var m map[string]any
	if decodePart(raw, &m) != nil {
		return nil
	}
	return m
}

// jsonStr is m[key] when it is a string, else "".
func jsonStr(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// jsonObj is m[key] when it is an object, else nil.
func jsonObj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// jsonObjs is m[key] as a list of objects: the objects of an array, or a lone
// object, since R4 makes some elements single in one resource and repeating in
// another (Encounter.type is a list, DocumentReference.type is not).
func jsonObjs(m map[string]any, key string) []map[string]any {
	switch v := m[key].(type) {
	case map[string]any:
		return []map[string]any{v}
	case []any:
		out := make([]map[string]any, 0, len(v))
		for _, e := range v {
			if o, ok := e.(map[string]any); ok {
				out = append(out, o)
			}
		}
		return out
	}
	return nil
}

// coding is one FHIR Coding.
type coding struct {
	System, Code, Display string
}

// codingsOf lists the codings of a CodeableConcept.
func codingsOf(cc map[string]any) []coding {
	var out []coding
	for _, c := range jsonObjs(cc, "coding") {
		out = append(out, coding{System: jsonStr(c, "system"), Code: jsonStr(c, "code"), Display: jsonStr(c, "display")})
	}
	return out
}

// conceptText is what a CodeableConcept says in words: its text, else the first
// coding display.
func conceptText(cc map[string]any) string {
	if t := jsonStr(cc, "text"); t != "" {
		return t
	}
	for _, c := range codingsOf(cc) {
		if c.Display != "" {
			return c.Display
		}
	}
	return ""
}
