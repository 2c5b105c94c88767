package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// scope is one granted SMART system scope, as far as a read-only server cares.
type scope struct {
	typ          string // a resource type, or "*"
	read, search bool
}

// parseScopes reads SMART v1 (system/Observation.read) and v2
// (system/Observation.rs) system scopes. Only system scopes make sense for Backend
// Services; a scope that grants neither read nor search here is refused, so a
// client learns at once that it asked for the wrong thing.
func parseScopes(s string) ([]scope, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, errors.New("scope is required, e.g. system/*.read")
	}
	out := make([]scope, 0, len(fields))
	for _, f := range fields {
		sc, ok := parseScope(f)
		if !ok {
			return nil, fmt.Errorf("scope %q is not a system read scope this exchange grants", f)
		}
		out = append(out, sc)
	}
	return out, nil
}

func parseScope(f string) (scope, bool) {
	rest, ok := strings.CutPrefix(f, "system/")
	if !ok {
		return scope{}, false
	}
	typ, perm, ok := strings.Cut(rest, ".")
	if !ok || (typ != "*" && !fhirTypeName.MatchString(typ)) {
		return scope{}, false
	}
	sc := scope{typ: typ}
	switch perm {
	case "read", "*": // v1; "*" includes write, which this exchange never does
		sc.read, sc.search = true, true
	default: // v2: an ordered subset of c r u d s
		if perm == "" || !isOrderedSubset(perm, "cruds") {
			return scope{}, false
		}
		sc.read, sc.search = strings.Contains(perm, "r"), strings.Contains(perm, "s")
	}
	return sc, sc.read || sc.search
}

func isOrderedSubset(s, of string) bool {
	i := 0
	for _, c := range s {
		j := strings.IndexRune(of[i:], c)
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return true
}

// allows says whether the grant lets its holder read (search false) or search
// resources of typ.
func (g grant) allows(typ string, search bool) bool {
	for _, sc := range g.scopes {
		if sc.typ == "*" || sc.typ == typ {
			if (search && sc.search) || (!search && sc.read) {
				return true
			}
		}
	}
	return false
}

func forbidden(typ string) response {
	return outcome(http.StatusForbidden, "forbidden", "the access token's scopes do not cover "+typ)
}
