package sandbox

import (
	"fmt"
	"net/http"
	"slices"
)

// MaxCountExtension is the CapabilityStatement.rest.resource extension whose
// valueInteger is the largest _count the sandbox honours for the type.
const MaxCountExtension = "https://github.com/kith-health/kith/fhir/StructureDefinition/max-count"

// oauthURIs is the SMART extension naming the token endpoint.
const oauthURIs = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"

const (
	defaultCount    = 50
	defaultMaxCount = 100
)

// profile is what the Oracle Health Millennium R4 profile, as the sandbox models
// it, supports for one type.
type profile struct {
	lastUpdated bool
	maxCount    int
}

// profiles lists the types whose searches accept _lastUpdated, and the page-size
// caps that differ from the default. Condition and DocumentReference do not accept
// _lastUpdated at Oracle, so pulls must sweep them; neither do the administrative
// types (Claim, Practitioner, ...), which take the default.
var profiles = map[string]profile{
	"AllergyIntolerance":       {lastUpdated: true, maxCount: defaultMaxCount},
	"CarePlan":                 {lastUpdated: true, maxCount: defaultMaxCount},
	"Condition":                {lastUpdated: false, maxCount: defaultMaxCount},
	"DiagnosticReport":         {lastUpdated: true, maxCount: defaultMaxCount},
	"DocumentReference":        {lastUpdated: false, maxCount: 100},
	"Encounter":                {lastUpdated: true, maxCount: defaultMaxCount},
	"Immunization":             {lastUpdated: true, maxCount: defaultMaxCount},
	"MedicationAdministration": {lastUpdated: true, maxCount: defaultMaxCount},
	"MedicationRequest":        {lastUpdated: true, maxCount: defaultMaxCount},
	"Observation":              {lastUpdated: true, maxCount: 200},
	"Procedure":                {lastUpdated: true, maxCount: defaultMaxCount},
}

func profileOf(typ string) profile {
	if p, ok := profiles[typ]; ok {
		return p
	}
	return profile{maxCount: defaultMaxCount}
}

// servesType says whether {Type} routes answer for typ: a type the profile knows,
// held or not (an empty search is an answer), or one the sandbox holds.
func (s *Sandbox) servesType(typ string) bool {
	if _, ok := profiles[typ]; ok || typ == "Patient" {
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.types[typ]
}

type param struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

type capResource struct {
	Extension   []any       `json:"extension"`
	Type        string      `json:"type"`
	Interaction []code      `json:"interaction"`
	SearchParam []param     `json:"searchParam"`
	Operation   []operation `json:"operation,omitempty"`
}

type code struct {
	Code string `json:"code"`
}

type operation struct {
	Name          string `json:"name"`
	Definition    string `json:"definition"`
	Documentation string `json:"documentation,omitempty"`
}

// capability answers GET /metadata, listing the types held now.
func (s *Sandbox) capability(r *http.Request) response {
	s.mu.RLock()
	types := make([]string, 0, len(s.st.types))
	for t := range s.st.types {
		types = append(types, t)
	}
	s.mu.RUnlock()
	slices.Sort(types)

	resources := make([]capResource, 0, len(types))
	for _, t := range types {
		p := profileOf(t)
		res := capResource{
			Extension:   []any{map[string]any{"url": MaxCountExtension, "valueInteger": p.maxCount}},
			Type:        t,
			Interaction: []code{{"read"}, {"search-type"}, {"history-type"}},
		}
		if t == "Patient" {
			res.SearchParam = append(res.SearchParam,
				param{Name: "identifier", Type: "token", Documentation: "NHS number as " + nhsSystemDoc},
				param{Name: "_id", Type: "token"})
			res.Operation = []operation{{
				Name: "everything", Definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything",
				Documentation: fmt.Sprintf("Supports _since, _type and _count (at most %d).", defaultMaxCount),
			}}
		} else {
			res.SearchParam = append(res.SearchParam, param{Name: "patient", Type: "reference", Documentation: "Required."})
		}
		if p.lastUpdated {
			res.SearchParam = append(res.SearchParam, param{Name: "_lastUpdated", Type: "date",
				Documentation: "Prefixes gt, ge, lt and le; may be repeated."})
		}
		res.SearchParam = append(res.SearchParam, param{Name: "_count", Type: "number",
			Documentation: fmt.Sprintf("Default %d, at most %d per page.", defaultCount, p.maxCount)})
		resources = append(resources, res)
	}

	base := s.base(r)
	now := formatInstant(s.stamp())
	return fhirJSON(http.StatusOK, map[string]any{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         now,
		"kind":         "instance",
		"publisher":    "Kith",
		"software":     map[string]any{"name": "Kith sandbox exchange"},
		"implementation": map[string]any{
			"description": "Sandbox regional exchange serving fixture records, modelled on Oracle Health Millennium R4",
			"url":         base,
		},
		"fhirVersion": "4.0.1",
		"format":      []string{"json"},
		"rest": []any{map[string]any{
			"mode": "server",
			"security": map[string]any{
				"extension": []any{map[string]any{
					"url":       oauthURIs,
					"extension": []any{map[string]any{"url": "token", "valueUri": base + "/token"}},
				}},
				"service": []any{map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR",
				}}}},
			},
			"resource": resources,
		}},
	})
}

const nhsSystemDoc = "https://fhir.nhs.uk/Id/nhs-number|NNNNNNNNNN"

// smartConfiguration answers GET /.well-known/smart-configuration.
func (s *Sandbox) smartConfiguration(r *http.Request) response {
	s.mu.RLock()
	scopes := []string{"system/*.read", "system/*.rs"}
	for t := range s.st.types {
		scopes = append(scopes, "system/"+t+".read")
	}
	s.mu.RUnlock()
	slices.Sort(scopes[2:])
	return jsonBody(http.StatusOK, "application/json", map[string]any{
		"token_endpoint":                                   s.base(r) + "/token",
		"grant_types_supported":                            []string{"client_credentials"},
		"token_endpoint_auth_methods_supported":            []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS384", "ES384"},
		"scopes_supported":                                 scopes,
		"capabilities":                                     []string{"client-confidential-asymmetric", "permission-v1", "permission-v2"},
	})
}
