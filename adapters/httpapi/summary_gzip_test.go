package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// A summary read again is answered from its kept encoding, gzipped once: to a
// client that takes gzip it must still be the identity answer's bytes, tagged the
// same, and marked as varying by Accept-Encoding for caches between.
func TestAKeptSummaryIsGzippedOnceAndStillTheSameAnswer(t *testing.T) {
	s := newServer(t)
	tok := s.token("gzipped", nil)
	s.upload(tok, bundle(allergy, heartRate, depression))
	plain := s.do("GET", "/v1/me/record/summary", tok, nil)
	if plain.status != 200 || plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("summary without Accept-Encoding = %d, Content-Encoding %q", plain.status, plain.header.Get("Content-Encoding"))
	}
	for i := range 3 {
		res := s.do("GET", "/v1/me/record/summary", tok, nil, "Accept-Encoding", "gzip")
		if res.status != 200 || res.header.Get("Content-Encoding") != "gzip" ||
			!strings.Contains(res.header.Get("Vary"), "Accept-Encoding") || res.header.Get("ETag") != plain.header.Get("ETag") {
			t.Fatalf("read %d with gzip = %d, headers %v; the identity answer's ETag is %q", i, res.status, res.header, plain.header.Get("ETag"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(res.body))
		if err != nil {
			t.Fatalf("read %d: not gzip: %v", i, err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if !bytes.Equal(body, plain.body) {
			t.Fatalf("read %d: the gzipped summary is not the identity answer\n got %.200s\nwant %.200s", i, body, plain.body)
		}
	}
}
