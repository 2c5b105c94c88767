package synthetic

// FHIR R4 data types, with only the elements this generator fills. Structs rather
// than maps fix the order of elements, so the output is the same byte for byte,
// and reads in the order the specification lists them.

// Code systems and identifier systems.
const (
	sysSNOMED         = "http://snomed.info/sct"
	sysLOINC          = "http://loinc.org"
	sysUCUM           = "http://unitsofmeasure.org"
	sysNHSNumber      = "https://fhir.nhs.uk/Id/nhs-number"
	sysODS            = "https://fhir.nhs.uk/Id/ods-organization-code"
	sysActCode        = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysSynthetic      = "https://kith.example/synthetic"
	sysInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
)

type coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type concept struct {
	Coding []coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type reference struct {
	Reference  string      `json:"reference,omitempty"`
	Identifier *identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// quantity always carries its value: a measured 0 is still a measurement.
type quantity struct {
	Value      float64 `json:"value"`
	Comparator string  `json:"comparator,omitempty"`
	Unit       string  `json:"unit"`
	System     string  `json:"system"`
	Code       string  `json:"code"`
}

type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type meta struct {
	VersionID   string   `json:"versionId"`
	LastUpdated string   `json:"lastUpdated"`
	Security    []coding `json:"security,omitempty"`
}

// resource is what every resource starts with. The builder fills it (see
// builder.start), so ids, versions and the identifier that makes re-ingest
// deduplicate are the same for every type.
type resource struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Meta         meta         `json:"meta"`
	Identifier   []identifier `json:"identifier,omitempty"`
}

func (r *resource) base() *resource { return r }

// ref is the relative reference other resources in the bundle point at it with.
func (r *resource) ref() reference { return reference{Reference: r.ResourceType + "/" + r.ID} }

// refp is ref for the optional reference elements.
func (r *resource) refp() *reference {
	ref := r.ref()
	return &ref
}

// fhirResource is any resource type here: each embeds resource.
type fhirResource interface{ base() *resource }

// code is a concept with one coding, the text repeating the display so that
// readers who ignore codings still see what it is.
func code(system, c, display string) concept {
	return concept{Coding: []coding{{System: system, Code: c, Display: display}}, Text: display}
}

func snomed(c, display string) concept { return code(sysSNOMED, c, display) }

func loinc(c, display string) concept { return code(sysLOINC, c, display) }

// ucum is a quantity in UCUM units; unit is what people read, ucumCode what
// machines compare.
func ucum(value float64, unit, ucumCode string) quantity {
	return quantity{Value: value, Unit: unit, System: sysUCUM, Code: ucumCode}
}
