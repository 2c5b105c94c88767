package record

import (
	"strconv"

	"github.com/valyala/fastjson"
)

// The rules read resources as generic JSON rather than through Go structs on
// purpose: encoding/json matches struct fields case-insensitively, so a resource
// carrying both "code" and "CODE" would be classified by a field every FHIR reader
// of the stored bytes ignores. Members are matched exactly, as FHIR does.
//
// A resource is parsed with github.com/valyala/fastjson into a tree that lives in
// its parser's reused memory: building a map of every member of every resource
// was most of an ingest's allocation, and the rules read a handful of them.

// object is a JSON object of a parsed resource; nil when absent or not an object.
// It lives only as long as its parser's parse: nothing read from it may keep it.
type object = *fastjson.Value

// parsers are reused across resources, so a parse allocates nothing once warm.
var parsers fastjson.ParserPool

// withObject parses raw as a JSON object and calls read with it (nil when raw is
// not one). The tree is gone when read returns: read keeps only what it copies.
func withObject[T any](raw []byte, read func(object) T) T {
	p := parsers.Get()
	defer parsers.Put(p)
	return read(objectIn(p, raw))
}

// jsonObject parses raw as a JSON object on a parser of its own, for a caller
// that keeps the tree; nil when raw is not an object.
func jsonObject(raw []byte) object {
	return objectIn(new(fastjson.Parser), raw)
}

func objectIn(p *fastjson.Parser, raw []byte) object {
	v, err := p.ParseBytes(raw)
	if err != nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	return v
}

// memberOf is m's member key: the last when the key repeats, as decoding into a
// map would; nil when m has none.
func memberOf(m object, key string) *fastjson.Value {
	if m == nil || m.Type() != fastjson.TypeObject {
		return nil
	}
	var found *fastjson.Value
	o, _ := m.Object()
	o.Visit(func(k []byte, v *fastjson.Value) {
		if string(k) == key {
			found = v
		}
	})
	return found
}

// jsonStr is m[key] when it is a string, else "".
func jsonStr(m object, key string) string {
	return textOfValue(memberOf(m, key))
}

// textOfValue is v when it is a string, else "".
func textOfValue(v *fastjson.Value) string {
	if v == nil || v.Type() != fastjson.TypeString {
		return ""
	}
	return string(v.GetStringBytes())
}

// jsonObj is m[key] when it is an object, else nil.
func jsonObj(m object, key string) object {
	if v := memberOf(m, key); v != nil && v.Type() == fastjson.TypeObject {
		return v
	}
	return nil
}

// jsonObjs is m[key] as a list of objects: the objects of an array, or a lone
// object, since R4 makes some elements single in one resource and repeating in
// another (Encounter.type is a list, DocumentReference.type is not).
func jsonObjs(m object, key string) []object {
	v := memberOf(m, key)
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeObject:
		return []object{v}
	case fastjson.TypeArray:
		items, _ := v.Array()
		out := make([]object, 0, len(items))
		for _, e := range items {
			if e.Type() == fastjson.TypeObject {
				out = append(out, e)
			}
		}
		return out
	}
	return nil
}

// jsonStrs is m[key]'s strings when it is an array, in order.
func jsonStrs(m object, key string) []string {
	v := memberOf(m, key)
	if v == nil || v.Type() != fastjson.TypeArray {
		return nil
	}
	items, _ := v.Array()
	out := make([]string, 0, len(items))
	for _, e := range items {
		if e.Type() == fastjson.TypeString {
			out = append(out, string(e.GetStringBytes()))
		}
	}
	return out
}

// jsonNum is m[key] when it is a number.
func jsonNum(m object, key string) (float64, bool) {
	v := memberOf(m, key)
	if v == nil || v.Type() != fastjson.TypeNumber {
		return 0, false
	}
	f, err := v.Float64()
	return f, err == nil
}

// jsonBool is m[key] when it is true or false.
func jsonBool(m object, key string) (value, ok bool) {
	switch v := memberOf(m, key); {
	case v == nil:
		return false, false
	case v.Type() == fastjson.TypeTrue:
		return true, true
	case v.Type() == fastjson.TypeFalse:
		return false, true
	}
	return false, false
}

// numberText is m[key] as a number written out, "" when it is not one.
func numberText(m object, key string) string {
	f, ok := jsonNum(m, key)
	if !ok {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// coding is one FHIR Coding.
type coding struct {
	System, Code, Display string
}

// codingsOf lists the codings of a CodeableConcept.
func codingsOf(cc object) []coding {
	var out []coding
	for _, c := range jsonObjs(cc, "coding") {
		out = append(out, coding{System: jsonStr(c, "system"), Code: jsonStr(c, "code"), Display: jsonStr(c, "display")})
	}
	return out
}

// conceptText is what a CodeableConcept says in words: its text, else the first
// coding display.
func conceptText(cc object) string {
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
