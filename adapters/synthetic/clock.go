package synthetic

import "time"

// instant writes t as a FHIR instant (also a valid dateTime): UTC, to the second.
// The schema wants seconds and a zone whenever a dateTime has a time; UTC keeps
// the output independent of the machine's time zone database.
func instant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// date writes t as a FHIR date.
func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// midnight is the start of t's day, UTC.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// between is a random time in [a, b), or a when the span is empty.
func (g *gen) between(a, b time.Time) time.Time {
	d := b.Sub(a)
	if d <= 0 {
		return a
	}
	return a.Add(time.Duration(g.r.Int64N(int64(d))))
}

// surgeryHours moves t to a weekday appointment slot between 08:30 and 17:20,
// when practices and clinics see people. Weekends go back to Friday, or forward
// to Monday when Friday would fall before notBefore.
func (g *gen) surgeryHours(t, notBefore time.Time) time.Time {
	day := midnight(t)
	switch day.Weekday() {
	case time.Saturday:
		day = day.AddDate(0, 0, -1)
	case time.Sunday:
		day = day.AddDate(0, 0, -2)
	}
	if day.Before(midnight(notBefore)) {
		for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday || day.Before(midnight(notBefore)) {
			day = day.AddDate(0, 0, 1)
		}
	}
	return day.Add(8*time.Hour + 30*time.Minute + time.Duration(g.r.IntN(54))*10*time.Minute)
}

// minutes is a random duration of lo to hi minutes.
func (g *gen) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+g.r.IntN(hi-lo+1)) * time.Minute
}

// yearsBetween is the age in whole years on b of someone born on a.
func yearsBetween(a, b time.Time) int {
	years := b.Year() - a.Year()
	if b.Month() < a.Month() || (b.Month() == a.Month() && b.Day() < a.Day()) {
		years--
	}
	return years
}

// earlier is the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// yearsFrom is the time from a to b in years.
func yearsFrom(a, b time.Time) float64 { return b.Sub(a).Hours() / (24 * 365.25) }
