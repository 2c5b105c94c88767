package synthetic

// The places and people of the record. Organisations are logical references
// (an ODS code and a name) rather than resources in the bundle: a patient's record
// is about the patient, and the demo cast's organisations (app/demo_roster.go)
// exist in Kith on their own. The clinicians' names are invented.

var (
	gpPractice = reference{Identifier: &identifier{System: sysODS, Value: "B86001"}, Display: "Demo Street Surgery"}
	hospital   = reference{Identifier: &identifier{System: sysODS, Value: "RR8"}, Display: "Leeds Teaching Hospitals NHS Trust"}
)

var (
	gps     = []string{"Dr Helen Carter", "Dr Rajesh Kumar", "Dr Fiona Walsh", "Dr Tomasz Nowak"}
	nurses  = []string{"Beth Lowe (practice nurse)", "Aisha Rahman (practice nurse)"}
	doctors = []string{"Dr Grace Liu", "Dr Owen Price", "Dr Niamh Byrne"}
)

// clinician is a display-only reference to a person who is not in the bundle.
func clinician(name string) *reference { return &reference{Display: name} }
