package record_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kith-health/kith/domain/record"
)

// Examine, the one parse ingest makes, says of every fixture resource exactly
// what the separate readers say.
func TestExamineSaysWhatEachReaderSays(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixturesDir(t), "synthea", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Synthea fixtures: %v", err)
	}
	rules := record.DefaultSensitivity()
	n := 0
	for _, f := range files[:3] {
		ins, err := record.ParseInput(readFixture(t, filepath.Join("synthea", filepath.Base(f))), 1<<22)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range ins {
			flags := []string(nil)
			if n%7 == 0 {
				flags = []string{record.WithdrawnBySource}
			}
			got := record.Examine(in.ResourceType, in.Raw, rules, flags)
			want := record.Examined{Version: record.VersionOf(in.Raw), Category: record.CategoryOf(in.ResourceType, in.Raw)}
			want.Sensitive, want.Labels = rules.Classify(in.Raw)
			want.Display, want.Clinical = record.Read(in.ResourceType, in.Raw, flags)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s/%s: Examine = %+v, the readers say %+v", in.ResourceType, in.ID, got, want)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no resources examined")
	}
}
