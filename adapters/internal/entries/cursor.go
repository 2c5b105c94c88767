// Package entries holds what both stores need to answer the record queries the same
// way: the EntryHeads cursor, the checks on callers' input, and how query times meet
// stored milliseconds. A cursor one store wrote is understood by the other.
package entries

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/kith-health/kith/domain/fault"
)

// Cursor is the position of the last entry of an EntryHeads page: its Display.Date
// in stored milliseconds and its id. Pages run by (date, id) descending, so the next
// page starts strictly below this pair; keying on the pair rather than an offset
// keeps pages stable while entries are written.
type Cursor struct {
	DateMs int64
	ID     string
}

// Encode writes c as an opaque, URL-safe token.
func (c Cursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.DateMs, 10) + " " + c.ID))
}

// DecodeCursor reads a token Encode wrote. Anything else is fault.ErrInvalid: a
// client must not be able to steer the query with a hand-made cursor. The token is
// not quoted in the error, as it is the client's input.
func DecodeCursor(token string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Cursor{}, fmt.Errorf("list entries: cursor is not one this server issued: %w", fault.ErrInvalid)
	}
	date, id, ok := strings.Cut(string(raw), " ")
	ms, err := strconv.ParseInt(date, 10, 64)
	if !ok || err != nil || id == "" {
		return Cursor{}, fmt.Errorf("list entries: cursor is not one this server issued: %w", fault.ErrInvalid)
	}
	return Cursor{DateMs: ms, ID: id}, nil
}
