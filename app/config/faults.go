package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Faults is what KITH_SANDBOX_FAULTS asks the sandbox exchange to do wrong.
type Faults struct {
	Rate500, Rate429, RateTruncate, RateDrop float64
	Latency                                  time.Duration
	GrowEvery                                time.Duration
}

// ParseFaults reads "500=0.1,429=0.05,truncate=0.02,drop=0.01,latency=20ms,grow=30s".
func ParseFaults(s string) (Faults, error) {
	var f Faults
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return Faults{}, fmt.Errorf("%q: want name=value", part)
		}
		var rate *float64
		switch name {
		case "500":
			rate = &f.Rate500
		case "429":
			rate = &f.Rate429
		case "truncate":
			rate = &f.RateTruncate
		case "drop":
			rate = &f.RateDrop
		case "latency", "grow":
			d, err := time.ParseDuration(value)
			if err != nil || d < 0 {
				return Faults{}, fmt.Errorf("%s=%q: want a duration such as 20ms", name, value)
			}
			if name == "latency" {
				f.Latency = d
			} else {
				f.GrowEvery = d
			}
			continue
		default:
			return Faults{}, fmt.Errorf("%q: unknown fault (500, 429, truncate, drop, latency, grow)", name)
		}
		r, err := strconv.ParseFloat(value, 64)
		if err != nil || r < 0 || r > 1 {
			return Faults{}, fmt.Errorf("%s=%q: want a rate between 0 and 1", name, value)
		}
		*rate = r
	}
	return f, nil
}
