package record

import (
	"bytes"
	"fmt"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"

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
	if len(body) == 0 || body[0] != '{' || !gjson.ValidBytes(body) {
		return nil, fault.Invalid("body", "json")
	}
	// The body is walked where it lies, its members read in place: only each
	// resource is copied, once. Decoding it into members first copied every
	// resource twice and was a third of an ingest's allocation.
	top := membersOf(unsafeText(body), "resourceType", "type", "entry", "id")
	// One pass over the whole body finds whether any text is bad; only then are
	// a bundle's resources scanned one by one, to say where.
	bodyText := textRule(body)
	if rt, _ := textOf(top[0]); rt != "Bundle" {
		rule := bodyText
		if rule == "" {
			rule = sizeRule(body, maxResourceBytes)
		}
		var in Incoming
		if rule == "" {
			rtText, rtOK := textOf(top[0])
			idText, idOK := textOf(top[3])
			in, rule = inspectHead(rtText, rtOK, idText, idOK)
		}
		if rule != "" {
			return nil, fault.Invalid("resource", rule)
		}
		in.Raw, in.Lone = bytes.Clone(body), true
		return []Incoming{in}, nil
	}

	if t, _ := textOf(top[1]); !bundleTypes[t] {
		return nil, fault.Invalid("type", "bundleType")
	}
	entries := top[2]
	if entries.Type != gjson.Null && !entries.IsArray() {
		return nil, fault.Invalid("entry", "json")
	}

	var out []Incoming
	problems := &fault.ValidationError{}
	textInResource := false
	report := func(i int, rule string) {
		if len(problems.Fields) < maxProblems {
			problems.Fields = append(problems.Fields, fault.FieldError{Field: fmt.Sprintf("entry[%d]", i), Rule: rule})
		}
	}
	i := -1
	entries.ForEach(func(_, entry gjson.Result) bool {
		i++
		if !entry.IsObject() {
			report(i, "json")
			return true
		}
		fields := membersOf(entry.Raw, "resource", "fullUrl")
		if fields[0].Type == gjson.Null {
			return true // absent or null: nothing to keep
		}
		// The one copy: the body's buffer may be reused once the request is done.
		resource := []byte(fields[0].Raw)
		if bodyText != "" {
			if rule := textRule(resource); rule != "" {
				textInResource = true
				report(i, rule)
				return true
			}
		}
		fullURL, ok := textOf(fields[1])
		if !ok {
			report(i, "json")
			return true
		}
		if rule := sizeRule(resource, maxResourceBytes); rule != "" {
			report(i, rule)
			return true
		}
		if !fields[0].IsObject() {
			report(i, "json")
			return true
		}
		head := membersOf(fields[0].Raw, "resourceType", "id")
		rtText, rtOK := textOf(head[0])
		idText, idOK := textOf(head[1])
		in, rule := inspectHead(rtText, rtOK, idText, idOK)
		if rule != "" {
			report(i, rule)
			return true
		}
		in.Index, in.FullURL, in.Raw = i, fullURL, resource
		out = append(out, in)
		return true
	})
	if bodyText != "" && !textInResource {
		return nil, fault.Invalid("body", bodyText)
	}
	if len(problems.Fields) > 0 {
		return nil, problems
	}
	return out, nil
}

// unsafeText is b as a string without a copy, for reading in place: b must not
// change while the string or anything cut from it is in use.
func unsafeText(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// membersOf reads the named members of obj, a valid JSON object, in place: keys
// matched exactly once unescaped, and the last of a repeated key winning, as
// decoding into a map would. An absent member is gjson's zero Result.
func membersOf(obj string, keys ...string) []gjson.Result {
	out := make([]gjson.Result, len(keys))
	gjson.Parse(obj).ForEach(func(key, value gjson.Result) bool {
		for i, k := range keys {
			if key.Str == k {
				out[i] = value
			}
		}
		return true
	})
	return out
}

// textOf is a member as a string, copied out of the body: ok is false when it is
// present but not a string; absent or null is "" and ok.
func textOf(v gjson.Result) (string, bool) {
	switch v.Type {
	case gjson.Null:
		return "", true
	case gjson.String:
		return strings.Clone(v.Str), true
	}
	return "", false
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
