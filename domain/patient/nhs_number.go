package patient

import (
	"github.com/kith-health/kith/domain/fault"
)

// NHSNumberSystem is the FHIR identifier system for NHS numbers in England.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// NHSNumber is a ten-digit NHS number whose check digit has been verified.
// The zero value means "none known".
type NHSNumber string

// ParseNHSNumber accepts ten digits, optionally grouped 3-3-4 by spaces or hyphens as
// printed on letters, and checks the modulus 11 check digit.
func ParseNHSNumber(s string) (NHSNumber, error) {
	digits := make([]byte, 0, 10)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '-':
		default:
			return "", fault.Invalid("nhsNumber", "digits")
		}
	}
	if len(digits) != 10 {
		return "", fault.Invalid("nhsNumber", "len=10")
	}
	if !validCheckDigit(digits) {
		return "", fault.Invalid("nhsNumber", "checkDigit")
	}
	return NHSNumber(digits), nil
}

// validCheckDigit applies the NHS modulus 11 algorithm: weights 10..2 over the first
// nine digits; 11 - (sum mod 11) is the check digit, 11 means 0 and 10 is never issued.
func validCheckDigit(d []byte) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(d[9]-'0')
}

// String never prints the number: NHS numbers must not reach logs by accident.
// Use Value where the number itself is needed.
func (n NHSNumber) String() string {
	if n == "" {
		return "none"
	}
	return "nhs-number(redacted)"
}

// Value returns the ten digits.
func (n NHSNumber) Value() string { return string(n) }
