package web

import (
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/record"
)

func TestDatesShowAsPreciselyAsTheSourceGaveThem(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	v := &Viewer{zone: london}
	for name, c := range map[string]struct {
		date      time.Time
		precision record.DatePrecision
		want      string
	}{
		"a year":                        {time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC), record.PrecisionYear, "2004"},
		"a month":                       {time.Date(2004, 3, 1, 0, 0, 0, 0, time.UTC), record.PrecisionMonth, "Mar 2004"},
		"a day":                         {time.Date(2004, 3, 2, 0, 0, 0, 0, time.UTC), record.PrecisionDay, "2 Mar 2004"},
		"a summer day is not moved":     {time.Date(1982, 9, 15, 0, 0, 0, 0, time.UTC), record.PrecisionDay, "15 Sep 1982"},
		"a time, in UK time":            {time.Date(2004, 7, 2, 13, 5, 0, 0, time.UTC), record.PrecisionTime, "2 Jul 2004, 14:05"},
		"an unknown precision is a day": {time.Date(2004, 3, 2, 0, 0, 0, 0, time.UTC), "", "2 Mar 2004"},
		"no date":                       {time.Time{}, record.PrecisionDay, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got, _ := v.date(c.date, c.precision); got != c.want {
				t.Errorf("date = %q, want %q", got, c.want)
			}
		})
	}
}

// An entry from an upload about someone else carries a warning wherever it is
// listed, whatever its section.
func TestAnEntryAboutSomeoneElseIsShownWithAWarning(t *testing.T) {
	v := &Viewer{zone: time.UTC}
	pages, err := template.ParseFS(templateFiles, "templates/entries.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []layout{layoutAllergy, layoutMedication, layoutProblem, layoutMeasure, layoutPlain} {
		e := record.Entry{Display: record.Display{Text: "Peanut"}, Flags: []string{record.IdentityMismatch}}
		var b strings.Builder
		data := sectionView{Caption: "test", Layout: l, Items: []item{v.item(e)}}
		if err := pages.ExecuteTemplate(&b, "table", data); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "Warning: this came in an upload about someone else") {
			t.Errorf("a %s row has no warning: %s", l, b.String())
		}
	}
}

func TestCountsReadWithThousandsSeparators(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1039: "1,039", 1234567: "1,234,567"} {
		if got := number(n); got != want {
			t.Errorf("number(%d) = %q, want %q", n, got, want)
		}
	}
}
