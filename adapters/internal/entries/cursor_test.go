package entries

import (
	"errors"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

func TestCursorRoundTrips(t *testing.T) {
	for _, c := range []Cursor{
		{DateMs: 1773497366535, ID: "e-1"},
		{DateMs: time.Time{}.UnixMilli(), ID: "id with spaces"},
		{DateMs: 0, ID: "x"},
	} {
		got, err := DecodeCursor(c.Encode())
		if err != nil || got != c {
			t.Fatalf("DecodeCursor(Encode(%+v)) = %+v, %v", c, got, err)
		}
	}
}

func TestDecodeCursorRefusesWhatItDidNotIssue(t *testing.T) {
	for _, token := range []string{"!!!", "bm9zcGFjZQ", "MTIz", "YWJjIGlk", "MTIzIA", "MTIz IGlk"} {
		if _, err := DecodeCursor(token); !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("DecodeCursor(%q) = %v, want ErrInvalid", token, err)
		}
	}
}

func TestCeilMilli(t *testing.T) {
	base := time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)
	if got := CeilMilli(base); got != base.UnixMilli() {
		t.Fatalf("CeilMilli(whole ms) = %d, want %d", got, base.UnixMilli())
	}
	if got := CeilMilli(base.Add(1)); got != base.UnixMilli()+1 {
		t.Fatalf("CeilMilli(ms + 1 ns) = %d, want %d", got, base.UnixMilli()+1)
	}
	before := time.Date(1960, 1, 1, 0, 0, 0, 999_999_999, time.UTC)
	if got, want := CeilMilli(before), before.UnixMilli()+1; got != want {
		t.Fatalf("CeilMilli(before 1970) = %d, want %d", got, want)
	}
}
