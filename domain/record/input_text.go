package record

import "unicode/utf8"

// textRule is the rule raw's text breaks, or "": "utf8" for bytes that are not
// UTF-8 (overlong forms and encoded surrogates included), "nul" for a \u0000
// escape, "surrogate" for a \uD800-\uDFFF escape that is not half of a pair.
//
// encoding/json lets all three through: it decodes them to U+FFFD or NUL
// without complaint, while json.RawMessage keeps the bytes, so a stored resource
// would read differently from its hash and break every export that copies it.
// raw is valid JSON, so a backslash is always inside a string and starts an
// escape; one pass without allocating keeps clean input (nearly all of it) cheap.
func textRule(raw []byte) string {
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				return "utf8"
			}
			i += size
		case c != '\\':
			i++
		case i+1 < len(raw) && raw[i+1] == 'u':
			u := hex4(raw, i+2)
			switch {
			case u == 0:
				return "nul"
			case u >= 0xD800 && u <= 0xDBFF:
				if !lowSurrogateAt(raw, i+6) {
					return "surrogate"
				}
				i += 12
			case u >= 0xDC00 && u <= 0xDFFF:
				return "surrogate"
			default:
				i += 6
			}
		default:
			i += 2 // the escaped byte too: the second \ of \\u0000 starts no escape
		}
	}
	return ""
}

// lowSurrogateAt reports whether raw[at:] starts with a \uDC00-\uDFFF escape.
func lowSurrogateAt(raw []byte, at int) bool {
	if at+1 >= len(raw) || raw[at] != '\\' || raw[at+1] != 'u' {
		return false
	}
	u := hex4(raw, at+2)
	return u >= 0xDC00 && u <= 0xDFFF
}

// hex4 reads the four hex digits at raw[at:], or -1 when they are not there.
func hex4(raw []byte, at int) int {
	if at+4 > len(raw) {
		return -1
	}
	v := 0
	for _, c := range raw[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return -1
		}
	}
	return v
}
