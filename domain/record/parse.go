package record

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/kith-health/kith/domain/fault"
)

// Incoming is one resource of an ingest request, as sent.
type Incoming struct {
	// Index is the resource's bundle entry index, or 0 for a lone resource.
	Index int
	// Lone is true when the input was this one resource, not a Bundle.
	Lone         bool
	ResourceType string
	// ID is resource.id ("" when the sender gave none, as in transactions).
	ID string
	// FullURL is the bundle entry's fullUrl (urn:uuid:..., or an absolute or
	// relative URL), "" for a lone resource.
	FullURL string
	// Raw is the resource's exact bytes as they appear in the input, never
	// re-encoded, so its hash is stable and nothing the sender said is lost. It
	// never shares memory with the input, whose buffer a server may reuse.
	Raw []byte
}

// maxProblems caps the problems one ValidationError lists: enough to fix a bundle
// in one round trip, not so many that a broken 10,000-entry bundle floods the reply.
const maxProblems = 50

// bundleTypes are the Bundle.type values whose entries' resources are kept: every R4
// type. A history's several versions of one resource merge to the newest; a
// transaction-response's or batch-response's resources are what a server stored.
// Entries without a resource (deletions, bare responses) carry nothing to keep.
var bundleTypes = map[string]bool{
	"collection": true, "searchset": true, "transaction": true, "batch": true,
	"document": true, "message": true, "history": true,
	"transaction-response": true, "batch-response": true,
}

// ParseInput splits an ingest body, one FHIR R4 resource or a Bundle, into its
// resources. Bundle entries without a resource (a transaction's DELETE, a
// response-only entry) are skipped; entry.request and entry.search are ignored; a
// Bundle inside an entry is one resource. maxResourceBytes limits each resource's
// size (0 or less: no limit).
//
// Text that encoding/json would quietly alter is refused, since the stored bytes
// must read as what they say: bytes that are not UTF-8 (rule utf8), a \u0000
// escape (nul) and an escaped surrogate that is not half of a pair (surrogate).
//
// Problems come back together as one *fault.ValidationError, whose Field is
// "body" (not JSON, or bad text outside every resource), "type" (Bundle.type),
// "entry" (not a list), "resource" (a lone resource) or "entry[i]", and whose
// Rule is json, utf8, nul, surrogate, resourceType, unknownResourceType, notR4,
// bundleType or maxBytes=N. No resource is returned when there is any problem.
func ParseInput(data []byte, maxResourceBytes int) ([]Incoming, error) {
	body := bytes.TrimSpace(data)
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || top == nil {
		return nil, fault.Invalid("body", "json")
	}
	// One pass over the whole body finds whether any text is bad; only then are
	// a bundle's resources scanned one by one, to say where.
	bodyText := textRule(body)
	if rt, _ := stringField(top, "resourceType"); rt != "Bundle" {
		rule := bodyText
		if rule == "" {
			rule = sizeRule(body, maxResourceBytes)
		}
		var in Incoming
		if rule == "" {
			in, rule = inspect(top)
		}
		if rule != "" {
			return nil, fault.Invalid("resource", rule)
		}
		in.Raw, in.Lone = bytes.Clone(body), true
		return []Incoming{in}, nil
	}

	if t, _ := stringField(top, "type"); !bundleTypes[t] {
		return nil, fault.Invalid("type", "bundleType")
	}
	// Entries decode straight into their members: any entry that is not an
	// object fails the whole array, and is then found one by one (entryFields).
	var entries []map[string]json.RawMessage
	if raw, present := top["entry"]; present && decodePart(raw, &entries) != nil {
		if entries = entryFields(raw); entries == nil {
			return nil, fault.Invalid("entry", "json")
		}
	}

	var out []Incoming
	var parser fastjson.Parser // reused for every entry: reading a head allocates nothing
	problems := &fault.ValidationError{}
	textInResource := false
	report := func(i int, rule string) {
		if len(problems.Fields) < maxProblems {
			problems.Fields = append(problems.Fields, fault.FieldError{Field: fmt.Sprintf("entry[%d]", i), Rule: rule})
		}
	}
	for i, entry := range entries {
		if entry == nil {
			report(i, "json")
			continue
		}
		resource := entry["resource"]
		if len(resource) == 0 || string(resource) == "null" {
			continue
		}
		if bodyText != "" {
			if rule := textRule(resource); rule != "" {
				textInResource = true
				report(i, rule)
				continue
			}
		}
		fullURL, ok := stringField(entry, "fullUrl")
		if !ok {
			report(i, "json")
			continue
		}
		if rule := sizeRule(resource, maxResourceBytes); rule != "" {
			report(i, rule)
			continue
		}
		in, rule := headOf(&parser, resource)
		if rule != "" {
			report(i, rule)
			continue
		}
		// resource is already a copy: decoding into json.RawMessage copies.
		in.Index, in.FullURL, in.Raw = i, fullURL, resource
		out = append(out, in)
	}
	if bodyText != "" && !textInResource {
		return nil, fault.Invalid("body", bodyText)
	}
	if len(problems.Fields) > 0 {
		return nil, problems
	}
	return out, nil
}

// Field names the resource in a problem about it, as ParseInput's own problems
// do: "resource" for a lone resource, else "entry[i]".
func (in Incoming) Field() string {
	if in.Lone {
		return "resource"
	}
	return fmt.Sprintf("entry[%d]", in.Index)
}

// sizeRule is the maxBytes rule raw breaks, or "". It is checked before decoding
// so an oversized resource costs no parsing.
func sizeRule(raw []byte, maxBytes int) string {
	if maxBytes > 0 && len(raw) > maxBytes {
		return fmt.Sprintf("maxBytes=%d", maxBytes)
	}
	return ""
}

// inspect reads a resource's type and id from its members; rule is "" when the
// resource is acceptable.
func inspect(fields map[string]json.RawMessage) (Incoming, string) {
	rt, rtOK := stringField(fields, "resourceType")
	id, idOK := stringField(fields, "id")
	return inspectHead(rt, rtOK, id, idOK)
}

// headOf is inspect straight from a resource's bytes, for a bundle's entries:
// only the type and id are read, keys matched exactly and the last of a repeated
// key winning, as decoding into members would; rule "json" when raw is not an
// object. Decoding every entry's members only to read two was a fifth of an
// ingest's allocation.
func headOf(p *fastjson.Parser, raw []byte) (Incoming, string) {
	v, err := p.ParseBytes(raw)
	if err != nil {
		return Incoming{}, "json"
	}
	o, err := v.Object()
	if err != nil {
		return Incoming{}, "json"
	}
	var rt, id *fastjson.Value
	o.Visit(func(key []byte, v *fastjson.Value) {
		switch string(key) {
		case "resourceType":
			rt = v
		case "id":
			id = v
		}
	})
	rtText, rtOK := headString(rt)
	idText, idOK := headString(id)
	return inspectHead(rtText, rtOK, idText, idOK)
}

// headString is stringField for a parsed member: ok is false when it is present
// but not a string; absent or null is "" and ok.
func headString(v *fastjson.Value) (string, bool) {
	switch {
	case v == nil || v.Type() == fastjson.TypeNull:
		return "", true
	case v.Type() != fastjson.TypeString:
		return "", false
	}
	return string(v.GetStringBytes()), true
}

// inspectHead applies the rules to a resource's type and id, each with whether it
// was a string (or absent).
func inspectHead(rt string, rtOK bool, id string, idOK bool) (Incoming, string) {
	if !rtOK || rt == "" {
		return Incoming{}, "resourceType"
	}
	if !IsR4ResourceType(rt) {
		if _, known := notR4ResourceTypes[rt]; known {
			return Incoming{}, "notR4"
		}
		return Incoming{}, "unknownResourceType"
	}
	if !idOK {
		return Incoming{}, "json"
	}
	return Incoming{ResourceType: rt, ID: id}, ""
}

// entryFields decodes a JSON array whose elements may not all be objects: nil
// members mark those that are not. nil when raw is not an array at all.
func entryFields(raw []byte) []map[string]json.RawMessage {
	var list []json.RawMessage
	if decodePart(raw, &list) != nil || list == nil {
		return nil
	}
	out := make([]map[string]json.RawMessage, len(list))
	for i, e := range list {
		out[i], _ = fieldsOf(e)
	}
	return out
}

// fieldsOf decodes raw, a part of a body already read whole, as a JSON object
// into its members, keys matched exactly.
func fieldsOf(raw []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if decodePart(raw, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

// stringField reads m[key] as a string: ok is false when it is present but not a
// string; an absent or null member is "" and ok.
func stringField(m map[string]json.RawMessage, key string) (string, bool) {
	raw, present := m[key]
	if !present || string(raw) == "null" {
		return "", true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
