package record

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
)

// IdentifierKey is the business identifier two sources share for one fact:
// among the resource's identifiers with both a system and a value, the smallest
// "system|value" ("" when there is none). Taking the smallest makes the choice
// independent of the order a source lists them in. Ingest should prefer
// DeliveryIdentifierKeys, which also sees the rest of the delivery.
func IdentifierKey(raw []byte) string {
	if keys := identifierKeys(raw); len(keys) > 0 {
		return keys[0]
	}
	return ""
}

// DeliveryIdentifierKeys is IdentifierKey for each resource of one delivery,
// skipping any identifier that another resource of the same type in the delivery
// also carries: that identifier names a group (Synthea gives every
// ExplanationOfBenefit the same claim-group identifier beside its own claim id),
// not one fact, and taking it would merge the whole group into one entry.
func DeliveryIdentifierKeys(ins []Incoming) []string {
	keys := make([][]string, len(ins))
	holders := map[string]int{} // resource type + key -> resources carrying it
	for i, in := range ins {
		keys[i] = identifierKeys(in.Raw)
		for _, k := range keys[i] {
			holders[in.ResourceType+"\x00"+k]++
		}
	}
	out := make([]string, len(ins))
	for i, in := range ins {
		for _, k := range keys[i] {
			if holders[in.ResourceType+"\x00"+k] == 1 {
				out[i] = k
				break
			}
		}
	}
	return out
}

// identifierKeys lists a resource's identifiers that have both a system and a
// value as "system|value", smallest first, each once.
func identifierKeys(raw []byte) []string {
	return withObject(raw, func(res object) []string {
		var keys []string
		for _, id := range jsonObjs(res, "identifier") {
			if system, value := jsonStr(id, "system"), jsonStr(id, "value"); system != "" && value != "" {
				keys = append(keys, system+"|"+value)
			}
		}
		slices.Sort(keys)
		return slices.Compact(keys)
	})
}

// VersionOf reads a resource's meta.versionId and meta.lastUpdated.
func VersionOf(raw []byte) Version { return withObject(raw, versionOf) }

func versionOf(res object) Version {
	meta := jsonObj(res, "meta")
	v := Version{VersionID: jsonStr(meta, "versionId")}
	v.LastUpdated, _ = ParseFHIRTime(jsonStr(meta, "lastUpdated"))
	return v
}

// Compare orders two versions of one resource: -1 when v is older than o, 1
// when newer, 0 when they cannot be told apart. lastUpdated decides when both
// have it and they differ; then versionId, numerically when both are whole
// numbers, else as text. A side with nothing to compare makes them equal.
func (v Version) Compare(o Version) int {
	if !v.LastUpdated.IsZero() && !o.LastUpdated.IsZero() {
		if c := v.LastUpdated.Compare(o.LastUpdated); c != 0 {
			return c
		}
	}
	if v.VersionID == "" || o.VersionID == "" {
		return 0
	}
	if isDigits(v.VersionID) && isDigits(o.VersionID) {
		// Compare as numbers of any size: without leading zeros, a longer
		// number is larger, and equal lengths compare as text.
		a, b := strings.TrimLeft(v.VersionID, "0"), strings.TrimLeft(o.VersionID, "0")
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	}
	return strings.Compare(v.VersionID, o.VersionID)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// entryIDDomain keeps entry ids apart from every other hash of the same fields.
const entryIDDomain = "kith.record.entry.v1"

// EntryID is an entry's id: a UUID (version 8) from a SHA-256 of the patient,
// the resource type and the resource's identity. The identity is its business
// identifier when it has one, so the same fact from two sources lands on one
// entry; otherwise it is (source, source id), the only identity the resource has.
// sourceID must then be non-empty and stable per source.
func EntryID(patientID, resourceType, identifierKey, source, sourceID string) string {
	fields := []string{entryIDDomain, patientID, resourceType}
	if identifierKey != "" {
		fields = append(fields, "identifier:"+identifierKey)
	} else {
		fields = append(fields, source, sourceID)
	}
	// Each field is preceded by its length, so no two different field lists
	// encode to the same bytes ("a|b","c" and "a","b|c" differ).
	h := sha256.New()
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8: custom
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// Hash is the hex SHA-256 of a resource's exact bytes.
func Hash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}
