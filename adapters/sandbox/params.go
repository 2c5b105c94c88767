package sandbox

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parseSearch reads a {Type} search's parameters. Like Oracle, it refuses what it
// does not support rather than ignoring it, so a client never mistakes an
// unfiltered answer for a filtered one.
func parseSearch(typ string, v url.Values) (query, error) {
	q := query{Kind: "search", Type: typ, Count: defaultCount}
	prof := profileOf(typ)
	for _, name := range sortedKeys(v) {
		vals := v[name]
		var err error
		switch {
		case (name == "patient" || name == "subject") && typ != "Patient":
			err = setPatient(&q, name, vals)
		case name == "_count":
			q.Count, err = parseCount(vals)
		case name == "_lastUpdated":
			if !prof.lastUpdated {
				return q, fmt.Errorf("_lastUpdated is not supported for %s searches", typ)
			}
			for _, val := range vals {
				b, err := parseBound(val)
				if err != nil {
					return q, err
				}
				q.Bounds = append(q.Bounds, b)
			}
		case name == "identifier" && typ == "Patient":
			var val string
			if val, err = single(name, vals); err == nil {
				q.Ident = parseToken(val)
			}
		case name == "_id" && typ == "Patient":
			q.ID, err = single(name, vals)
		default:
			return q, fmt.Errorf("search parameter %s is not supported for %s", name, typ)
		}
		if err != nil {
			return q, err
		}
	}
	if typ != "Patient" && q.Patient == "" {
		return q, fmt.Errorf("%s searches require patient", typ)
	}
	q.Count = min(q.Count, prof.maxCount)
	return q, nil
}

// parseEverything reads Patient/$everything's parameters.
func parseEverything(patientID string) func(url.Values) (query, error) {
	return func(v url.Values) (query, error) {
		q := query{Kind: "everything", Type: "Patient", Patient: patientID, Count: defaultCount}
		for _, name := range sortedKeys(v) {
			vals := v[name]
			var err error
			switch name {
			case "_count":
				q.Count, err = parseCount(vals)
			case "_since":
				q.Since, err = parseSince(vals)
			case "_type":
				for _, val := range vals {
					for t := range strings.SplitSeq(val, ",") {
						if !fhirTypeName.MatchString(t) {
							return q, fmt.Errorf("_type: %q is not a resource type", t)
						}
						q.Types = append(q.Types, t)
					}
				}
			default:
				return q, fmt.Errorf("parameter %s is not supported by $everything", name)
			}
			if err != nil {
				return q, err
			}
		}
		q.Count = min(q.Count, defaultMaxCount)
		return q, nil
	}
}

// parseHistory reads {Type}/_history's parameters: the patient is required, as it
// is for the type's searches.
func parseHistory(typ string) func(url.Values) (query, error) {
	return func(v url.Values) (query, error) {
		q := query{Kind: "history", Type: typ, Count: defaultCount}
		for _, name := range sortedKeys(v) {
			vals := v[name]
			var err error
			switch name {
			case "patient", "subject":
				err = setPatient(&q, name, vals)
			case "_count":
				q.Count, err = parseCount(vals)
			case "_since":
				q.Since, err = parseSince(vals)
			default:
				return q, fmt.Errorf("parameter %s is not supported by _history", name)
			}
			if err != nil {
				return q, err
			}
		}
		if q.Patient == "" {
			return q, fmt.Errorf("%s/_history requires patient", typ)
		}
		q.Count = min(q.Count, profileOf(typ).maxCount)
		return q, nil
	}
}

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func single(name string, vals []string) (string, error) {
	if len(vals) != 1 || vals[0] == "" {
		return "", fmt.Errorf("give %s once, with a value", name)
	}
	return vals[0], nil
}

// setPatient takes patient=id, patient=Patient/id or the same as subject; both
// may be given only if they agree.
func setPatient(q *query, name string, vals []string) error {
	val, err := single(name, vals)
	if err != nil {
		return err
	}
	id := strings.TrimPrefix(val, "Patient/")
	if !fhirID.MatchString(id) {
		return fmt.Errorf("%s: %q is not a Patient id or Patient/id", name, val)
	}
	if q.Patient != "" && q.Patient != id {
		return errors.New("patient and subject name different patients")
	}
	q.Patient = id
	return nil
}

func parseCount(vals []string) (int, error) {
	val, err := single("_count", vals)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(val)
	if err != nil || n < 0 {
		return 0, errors.New("_count must be a whole number, 0 or more")
	}
	return n, nil
}

// parseToken reads a token search value: system|value, |value (no system) or
// value (any system).
func parseToken(val string) *tokenParam {
	if system, value, ok := strings.Cut(val, "|"); ok {
		return &tokenParam{System: system, HasSystem: true, Value: value}
	}
	return &tokenParam{Value: val}
}

func (t tokenParam) matches(ids []identifier) bool {
	for _, id := range ids {
		if id.value == t.Value && (!t.HasSystem || id.system == t.System) {
			return true
		}
	}
	return false
}

// parseBound reads one _lastUpdated value, applying FHIR's rule that a value
// stands for the whole span its precision implies: gt2024-05-01 starts on 2 May.
func parseBound(val string) (bound, error) {
	prefix, rest := val[:min(2, len(val))], val[min(2, len(val)):]
	if !slices.Contains([]string{"gt", "ge", "lt", "le"}, prefix) {
		return bound{}, fmt.Errorf("_lastUpdated %q needs a prefix gt, ge, lt or le", val)
	}
	lo, hi, err := parseSpan(rest)
	if err != nil {
		return bound{}, fmt.Errorf("_lastUpdated: %w", err)
	}
	switch prefix {
	case "gt":
		return bound{From: true, At: hi}, nil
	case "ge":
		return bound{From: true, At: lo}, nil
	case "lt":
		return bound{From: false, At: lo}, nil
	default: // le
		return bound{From: false, At: hi}, nil
	}
}

// parseSince reads _since: resources changed at or after the instant.
func parseSince(vals []string) (time.Time, error) {
	val, err := single("_since", vals)
	if err != nil {
		return time.Time{}, err
	}
	lo, _, err := parseSpan(val)
	if err != nil {
		return time.Time{}, fmt.Errorf("_since: %w", err)
	}
	return lo, nil
}

// parseSpan reads a FHIR date or instant as the span [lo, hi) it stands for.
func parseSpan(s string) (lo, hi time.Time, err error) {
	switch len(s) {
	case 4:
		lo, err = time.Parse("2006", s)
		return lo, lo.AddDate(1, 0, 0), err
	case 7:
		lo, err = time.Parse("2006-01", s)
		return lo, lo.AddDate(0, 1, 0), err
	case 10:
		lo, err = time.Parse(time.DateOnly, s)
		return lo, lo.AddDate(0, 0, 1), err
	}
	lo, err = time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if strings.Contains(s, " ") {
			return lo, hi, fmt.Errorf("%q is not an instant (a + in a time zone must be sent as %%2B)", s)
		}
		return lo, hi, fmt.Errorf("%q is not a date or an instant with a time zone", s)
	}
	digits := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		for _, c := range s[i+1:] {
			if c < '0' || c > '9' {
				break
			}
			digits++
		}
	}
	unit := time.Second
	for range min(digits, 9) {
		unit /= 10
	}
	return lo.UTC(), lo.UTC().Add(unit), nil
}
