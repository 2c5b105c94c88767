package record

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/pretty"
)

// ReferenceTarget finds the resource a conditional reference names, in the
// patient's record: given the resource type and an identifier (system may be
// ""), it returns the reference to use ("urn:uuid:..." or "Type/id") and whether
// one was found.
type ReferenceTarget func(resourceType, system, value string) (string, bool)

// ResolveConditionalReferences rewrites every conditional reference in the
// delivery's resources ("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999912345",
// as Synthea's transactions use): they mean something only while a server
// processes a transaction, and Kith keeps resources as a collection, where they
// would point nowhere. Each becomes, in this order of preference:
//
//   - a reference to the resource of that type in the delivery carrying that
//     identifier (any system when the reference gives none): its fullUrl, else
//     "Type/id"; an identifier that several of them carry names none;
//   - the reference inRecord (may be nil) finds;
//   - a logical reference: "reference" gives way to "type" (unless the Reference
//     has one) and "identifier" (unless it has one); display and the rest stay.
//
// Only a search on one identifier is rewritten: a conditional reference with
// other search parameters ("Patient?name=x", or identifier with anything more)
// has no identifier that could stand for it, so it is left as it is.
//
// A resource without a conditional reference keeps its exact bytes; one with
// some is re-encoded compactly with its members in order and its numbers and
// other strings as written, into a new Raw. ins itself is not modified. Each Raw
// is valid JSON, as ParseInput gives it: it is read in place, not checked again.
func ResolveConditionalReferences(ins []Incoming, inRecord ReferenceTarget) []Incoming {
	r := &resolver{ins: ins, inRecord: inRecord, delivery: map[string]map[conditional]string{}}
	out := slices.Clone(ins)
	for i, in := range ins {
		if raw, changed := r.rewrite(in.Raw); changed {
			out[i].Raw = raw
		}
	}
	return out
}

// mayHoldConditional is the cheap test that spares nearly every resource, and
// every part of one, the walk: a conditional reference has a "?", written as is
// or escaped.
func mayHoldConditional(raw []byte) bool {
	return bytes.IndexByte(raw, '?') >= 0 || bytes.Contains(raw, []byte(`\u003`))
}

// conditional is a conditional reference that searches on one identifier.
type conditional struct {
	resourceType, system, value string
}

// parseConditional reads "Type?identifier=system|value" or "Type?identifier=value".
func parseConditional(ref string) (conditional, bool) {
	resourceType, query, found := strings.Cut(ref, "?")
	if !found || !IsR4ResourceType(resourceType) {
		return conditional{}, false
	}
	q, err := url.ParseQuery(query)
	ids := q["identifier"]
	// A comma is FHIR search's "or": no one identifier.
	if err != nil || len(q) != 1 || len(ids) != 1 || strings.Contains(ids[0], ",") {
		return conditional{}, false
	}
	system, value, hasSystem := strings.Cut(ids[0], "|")
	if !hasSystem {
		system, value = "", system
	}
	if value == "" {
		return conditional{}, false
	}
	return conditional{resourceType, system, value}, true
}

// resolver rewrites the conditional references of one delivery.
type resolver struct {
	ins      []Incoming
	inRecord ReferenceTarget
	// delivery holds, per resource type, the targets deliveryTargets found,
	// computed on first need so a delivery pays only for the types referenced.
	delivery map[string]map[conditional]string
}

// target is the reference c resolves to, if any.
func (r *resolver) target(c conditional) (string, bool) {
	targets, built := r.delivery[c.resourceType]
	if !built {
		targets = deliveryTargets(r.ins, c.resourceType)
		r.delivery[c.resourceType] = targets
	}
	if ref := targets[c]; ref != "" {
		return ref, true
	}
	if r.inRecord != nil {
		return r.inRecord(c.resourceType, c.system, c.value)
	}
	return "", false
}

// deliveryTargets maps each identifier that the delivery's resources of one type
// carry to the reference naming the resource, under both (system, value) and
// ("", value), the key of a conditional reference that gives no system. An
// identifier two resources carry maps to "": it names neither.
func deliveryTargets(ins []Incoming, resourceType string) map[conditional]string {
	targets := map[conditional]string{}
	add := func(k conditional, ref string) {
		if have, seen := targets[k]; seen && have != ref {
			ref = ""
		}
		targets[k] = ref
	}
	for _, in := range ins {
		if in.ResourceType != resourceType {
			continue
		}
		ref := in.FullURL
		if ref == "" && in.ID != "" {
			ref = resourceType + "/" + in.ID
		}
		if ref == "" {
			continue
		}
		for _, id := range jsonObjs(jsonObject(in.Raw), "identifier") {
			system, value := jsonStr(id, "system"), jsonStr(id, "value")
			if value == "" {
				continue
			}
			add(conditional{resourceType, system, value}, ref)
			if system != "" {
				add(conditional{resourceType, "", value}, ref)
			}
		}
	}
	return targets
}

// rewrite returns raw, one JSON value, with the conditional references in it
// resolved, and whether there were any.
func (r *resolver) rewrite(raw json.RawMessage) (json.RawMessage, bool) {
	// Only the parts that may hold one are taken apart: splitting every object
	// and array of a resource was most of a transaction bundle's ingest.
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') || !mayHoldConditional(raw) {
		return raw, false
	}
	c := split(raw)
	changed := false
	for i := range c.members {
		value, ch := r.rewrite(c.members[i].value)
		c.members[i].value, changed = value, changed || ch
	}
	if i, cond, ok := c.conditionalReference(); ok {
		r.resolve(&c, i, cond)
		changed = true
	}
	if !changed {
		return raw, false
	}
	return c.encode(), true
}

// resolve rewrites the conditional reference cond, c's member i.
func (r *resolver) resolve(c *container, i int, cond conditional) {
	if ref, ok := r.target(cond); ok {
		c.members[i].value = jsonString(ref)
		return
	}
	var logical []member
	if !c.has("type") {
		logical = append(logical, member{"type", jsonString(cond.resourceType)})
	}
	if !c.has("identifier") {
		id := container{object: true}
		if cond.system != "" {
			id.members = append(id.members, member{"system", jsonString(cond.system)})
		}
		id.members = append(id.members, member{"value", jsonString(cond.value)})
		value := id.encode()
		logical = append(logical, member{"identifier", value})
	}
	c.members = slices.Replace(c.members, i, i+1, logical...)
}

// container is a JSON object's members, in order, or an array's elements
// (members without keys).
type container struct {
	object  bool
	members []member
}

type member struct {
	key   string
	value json.RawMessage
}

// split reads raw, a valid JSON object or array, into its members, in place:
// each value is a slice of raw.
func split(raw json.RawMessage) container {
	c := container{object: raw[0] == '{'}
	gjson.Parse(unsafeText(raw)).ForEach(func(key, value gjson.Result) bool {
		c.members = append(c.members, member{key: key.Str, value: raw[value.Index : value.Index+len(value.Raw)]})
		return true
	})
	return c
}

// conditionalReference finds the member "reference" of an object when it is a
// conditional reference.
func (c container) conditionalReference() (int, conditional, bool) {
	if !c.object {
		return 0, conditional{}, false
	}
	for i, m := range c.members {
		var ref string
		if m.key == "reference" && json.Unmarshal(m.value, &ref) == nil {
			cond, ok := parseConditional(ref)
			return i, cond, ok
		}
	}
	return 0, conditional{}, false
}

func (c container) has(key string) bool {
	return slices.ContainsFunc(c.members, func(m member) bool { return m.key == key })
}

// encode writes c compactly. Values are copied as written, so numbers keep
// their literals (1.50 stays 1.50) and strings their escapes; the whitespace
// between them goes in one pass over the whole (github.com/tidwall/pretty, already
// in the build with gjson): compacting member by member through encoding/json
// was most of a transaction bundle's rewrite.
func (c container) encode() json.RawMessage {
	first, last := byte('['), byte(']')
	if c.object {
		first, last = '{', '}'
	}
	size := 2
	for _, m := range c.members {
		size += len(m.key) + len(m.value) + 4
	}
	buf := make([]byte, 0, size)
	buf = append(buf, first)
	for i, m := range c.members {
		if i > 0 {
			buf = append(buf, ',')
		}
		if c.object {
			buf = append(append(buf, jsonString(m.key)...), ':')
		}
		buf = append(buf, m.value...)
	}
	return pretty.UglyInPlace(append(buf, last))
}

// jsonString encodes s as a JSON string, leaving <, > and & as they are:
// json.Marshal would escape them for HTML, which FHIR JSON is not.
func jsonString(s string) json.RawMessage {
	if plainText(s) {
		return json.RawMessage(`"` + s + `"`)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// plainText reports whether s is written in JSON as it is, quoted (printable
// ASCII without a quote or backslash): every FHIR member name, and most values.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
