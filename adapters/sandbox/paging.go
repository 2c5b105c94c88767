package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// pageParam carries the page token in next links, named as Oracle names it.
const pageParam = "-pageContext"

// maxAnyCount bounds a page token's _count: no type's cap is above it, so a token
// made up by hand cannot ask for everything at once.
const maxAnyCount = 1000

// query is a search as parsed from the first page's parameters; the page token
// carries it to the later pages.
type query struct {
	Kind    string      `json:"k"` // "search", "everything" or "history"
	Type    string      `json:"t,omitempty"`
	Patient string      `json:"p,omitempty"`
	ID      string      `json:"id,omitempty"` // Patient?_id
	Ident   *tokenParam `json:"i,omitempty"`  // Patient?identifier
	Bounds  []bound     `json:"b,omitempty"`  // _lastUpdated
	Since   time.Time   `json:"s,omitzero"`   // _since
	Types   []string    `json:"ty,omitempty"` // $everything's _type
	Count   int         `json:"c"`
}

// bound is one _lastUpdated comparison, reduced to lastUpdated >= At (From) or
// lastUpdated < At (!From) once the value's precision is applied.
type bound struct {
	From bool      `json:"f"`
	At   time.Time `json:"a"`
}

type tokenParam struct {
	System    string `json:"s,omitempty"`
	HasSystem bool   `json:"h,omitempty"`
	Value     string `json:"v"`
}

// keep applies the query's _lastUpdated and _since.
func (q query) keep(r *resource) bool {
	for _, b := range q.Bounds {
		if b.From == r.updated.Before(b.At) {
			return false
		}
	}
	return q.Since.IsZero() || !r.updated.Before(q.Since)
}

// cursor is one page of a query at a snapshot: what the page token encodes.
type cursor struct {
	Q      query     `json:"q"`
	Offset int       `json:"o"`
	At     time.Time `json:"at"`  // the snapshot's time: Bundle.meta.lastUpdated
	Seq    uint64    `json:"seq"` // the store's sequence at the snapshot
}

func (c cursor) token() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(tok string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Offset < 0 || c.Q.Count < 0 || c.Q.Count > maxAnyCount || c.Seq == 0 {
		return cursor{}, fmt.Errorf("%s is not a page token this exchange issued", pageParam)
	}
	return c, nil
}

// openCursor is the request's page: the one its page token names, or the first
// page of the query its parameters make (first true: the caller takes the
// snapshot).
func openCursor(r *http.Request, kind, typ, patient string, parse func(url.Values) (query, error)) (c cursor, first bool, fail *response) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		resp := badRequest("the query string does not parse")
		return c, false, &resp
	}
	if v.Has(pageParam) {
		for name := range v {
			if name != pageParam && !(name == "-pageDirection" && v.Get(name) == "NEXT") {
				resp := badRequest("a page is asked for by " + pageParam + " alone: use the next link as it is")
				return c, false, &resp
			}
		}
		c, err := decodeCursor(v.Get(pageParam))
		if err == nil && (c.Q.Kind != kind || c.Q.Type != typ || (patient != "" && c.Q.Patient != patient)) {
			err = fmt.Errorf("the %s is for another search", pageParam)
		}
		if err != nil {
			resp := badRequest(err.Error())
			return c, false, &resp
		}
		return c, false, nil
	}
	q, err := parse(v)
	if err != nil {
		resp := badRequest(err.Error())
		return c, false, &resp
	}
	return cursor{Q: q}, true, nil
}

// snapshot fixes the data a paged search sees. The caller holds s.mu (reading
// will do).
func (s *Sandbox) snapshot(c *cursor) {
	c.At = s.stamp()
	c.Seq = s.st.seq
	for {
		last := s.lastSnapshot.Load()
		if c.At.UnixMilli() <= last || s.lastSnapshot.CompareAndSwap(last, c.At.UnixMilli()) {
			return
		}
	}
}

type link struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type entryOut struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *searchOut      `json:"search,omitempty"`
	Request  *requestOut     `json:"request,omitempty"`
	Response *responseOut    `json:"response,omitempty"`
}

type searchOut struct {
	Mode string `json:"mode"`
}

type requestOut struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

type responseOut struct {
	Status       string `json:"status"`
	LastModified string `json:"lastModified"`
}

type bundleOut struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		LastUpdated string `json:"lastUpdated"`
	} `json:"meta"`
	Type  string     `json:"type"`
	Total int        `json:"total"`
	Link  []link     `json:"link"`
	Entry []entryOut `json:"entry,omitempty"`
}

// pageOf cuts the page the cursor names out of n results: [from, to), and the
// next link's URL ("" on the last page). path is the route under the base.
func (s *Sandbox) pageOf(r *http.Request, c cursor, n int, path string) (from, to int, next string) {
	from = min(c.Offset, n)
	to = min(from+c.Q.Count, n)
	if c.Q.Count > 0 && to < n {
		c.Offset = to
		next = s.base(r) + "/" + path + "?" + pageParam + "=" + c.token()
	}
	return from, to, next
}

// bundle wraps a page's entries. Its id is derived from the page, so asking for a
// page twice gives the same Bundle.
func (s *Sandbox) bundle(r *http.Request, kind string, c cursor, total int, entries []entryOut, next string) response {
	h := sha256.Sum256([]byte(c.token()))
	b := bundleOut{
		ResourceType: "Bundle",
		ID:           fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16]),
		Type:         kind,
		Total:        total,
		Link:         []link{{"self", origin(r) + r.URL.RequestURI()}},
		Entry:        entries,
	}
	b.Meta.LastUpdated = formatInstant(c.At)
	if next != "" {
		b.Link = append(b.Link, link{"next", next})
	}
	return fhirJSON(http.StatusOK, b)
}

func (s *Sandbox) fullURL(r *http.Request, res *resource) string {
	return s.base(r) + "/" + res.ref()
}
