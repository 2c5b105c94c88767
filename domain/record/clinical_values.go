package record

import (
	"strconv"
	"strings"
)

// number is a JSON number as the source wrote it, as far as a float64 keeps it
// ("5.4", "120", never "5.400000"); "" when v is not a number.
func number(v any) string {
	f, ok := v.(float64)
	if !ok {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// quantityText is a Quantity as a reader writes it: "5.4 mmol/L", "<0.5 mg/L";
// "" without a value.
func quantityText(q object) string {
	n := numberText(q, "value")
	if n == "" {
		return ""
	}
	return jsonStr(q, "comparator") + withUnit(n, quantityUnit(q))
}

// quantityUnit is a Quantity's unit, else its code. A UCUM annotation standing
// alone as the code or unit ("{score}" in Synthea, "{ScoreOf}" in UK Core,
// whose unit text is "ScoreOf") means "no unit", so none is shown.
func quantityUnit(q object) string {
	unit, code := jsonStr(q, "unit"), jsonStr(q, "code")
	if annotationOnly(unit) || annotationOnly(code) {
		return ""
	}
	if unit != "" {
		return unit
	}
	return code
}

func annotationOnly(u string) bool {
	return strings.HasPrefix(u, "{") && strings.Index(u, "}") == len(u)-1
}

func withUnit(n, unit string) string {
	if unit == "" {
		return n
	}
	return n + " " + unit
}

// rangeText is a Range, or a reference range's low and high: "3.5–5.3 mmol/L",
// and with one side only "≥ 3.5 mmol/L" or "≤ 5.3 mmol/L".
func rangeText(r object) string {
	low, high := jsonObj(r, "low"), jsonObj(r, "high")
	lo, hi := numberText(low, "value"), numberText(high, "value")
	loUnit, hiUnit := quantityUnit(low), quantityUnit(high)
	switch {
	case lo != "" && hi != "":
		if loUnit == "" || loUnit == hiUnit {
			return withUnit(lo+"–"+hi, hiUnit)
		}
		return withUnit(lo, loUnit) + "–" + withUnit(hi, hiUnit)
	case lo != "":
		return "≥ " + withUnit(lo, loUnit)
	case hi != "":
		return "≤ " + withUnit(hi, hiUnit)
	}
	return ""
}

// ratioText is a Ratio: "1/128", "5 mg/1 mL".
func ratioText(r object) string {
	n, d := quantityText(jsonObj(r, "numerator")), quantityText(jsonObj(r, "denominator"))
	if n == "" || d == "" {
		return n
	}
	return n + "/" + d
}

// periodText is a Period as written: "2020-01-02–2020-01-09", or its one end.
func periodText(p object) string {
	start, end := jsonStr(p, "start"), jsonStr(p, "end")
	if start == "" || end == "" {
		return start + end
	}
	return start + "–" + end
}
