package httpapi_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kith-health/kith/adapters/httpapi/api"
)

// The server encodes answers with go-json for speed: for every shape a phone
// reads most, the bytes are the ones encoding/json would have written.
func TestAnswersAreTheBytesEncodingJSONWouldWrite(t *testing.T) {
	s := newServer(t)
	amelia := s.tokenAs("amelia")
	compared := 0
	for path, into := range map[string]any{
		"/v1/me/record/summary":               &api.RecordSummary{},
		"/v1/me/record/entries?limit=50":      &api.EntryPage{},
		"/v1/me/record/changes?limit=50":      &api.ChangePage{},
		"/v1/me/access-log?limit=50":          &api.AccessLogPage{},
		"/v1/me/record/entries?category=labs": &api.EntryPage{},
	} {
		res := s.do("GET", path, amelia, nil)
		if res.status != 200 {
			continue // a category this record lacks, say: nothing to compare
		}
		if err := json.Unmarshal(res.body, into); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		want, err := json.Marshal(into)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.TrimSpace(res.body); !bytes.Equal(got, want) {
			t.Errorf("%s: the answer differs from encoding/json's\n got %.300s\nwant %.300s", path, got, want)
		}
		compared++
	}
	if compared < 4 {
		t.Fatalf("only %d answers compared", compared)
	}
}
