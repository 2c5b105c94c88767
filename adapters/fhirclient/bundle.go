package fhirclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kith-health/kith/app"
)

// bundle is as much of a FHIR Bundle as a pull reads. Resources stay raw, so they
// are stored byte for byte as the exchange sent them.
type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        *int   `json:"total"`
	Meta         struct {
		LastUpdated string `json:"lastUpdated"`
	} `json:"meta"`
	Link []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []bundleEntry `json:"entry"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Search   struct {
		Mode string `json:"mode"`
	} `json:"search"`
	Request struct {
		Method string `json:"method"`
		URL    string `json:"url"`
	} `json:"request"`
}

// resourceHead is what an entry's resource says it is.
type resourceHead struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
}

// parseBundle checks a body is a whole Bundle before anything of it is used.
func parseBundle(body []byte) (bundle, error) {
	var b bundle
	if err := json.Unmarshal(body, &b); err != nil {
		return bundle{}, fmt.Errorf("not a Bundle: %w", err)
	}
	if b.ResourceType != "Bundle" {
		return bundle{}, fmt.Errorf("a %q where a Bundle was expected", b.ResourceType)
	}
	return b, nil
}

func (e bundleEntry) hasResource() bool {
	raw := bytes.TrimSpace(e.Resource)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

func (e bundleEntry) head() (resourceHead, error) {
	var h resourceHead
	if err := json.Unmarshal(e.Resource, &h); err != nil {
		return resourceHead{}, fmt.Errorf("an entry's resource is not an object: %w", err)
	}
	if h.ResourceType == "" {
		return resourceHead{}, errors.New("an entry's resource has no resourceType")
	}
	return h, nil
}

func (b bundle) next() string {
	for _, l := range b.Link {
		if l.Relation == "next" {
			return l.URL
		}
	}
	return ""
}

// page sorts a search or history Bundle into what to store, what was deleted and
// where the next page is. A page whose entries do not make sense is refused whole.
func (c *Client) page(b bundle, header http.Header) (app.Page, error) {
	var kept []bundleEntry
	var deleted []string
	for _, e := range b.Entry {
		if strings.EqualFold(e.Request.Method, http.MethodDelete) {
			ref, ok := typeAndID(e.Request.URL)
			if !ok {
				ref, ok = typeAndID(e.FullURL)
			}
			if !ok {
				return app.Page{}, errors.New("a deletion names no Type/id")
			}
			deleted = append(deleted, ref)
			continue
		}
		if !e.hasResource() {
			continue
		}
		h, err := e.head()
		if err != nil {
			return app.Page{}, err
		}
		if h.ResourceType == "OperationOutcome" && e.Search.Mode == "outcome" {
			continue // the server's warnings about the search, not the patient's record
		}
		kept = append(kept, e)
	}
	out, err := encodeBundle(b.Type, kept)
	if err != nil {
		return app.Page{}, err
	}
	return app.Page{Bundle: out, Resources: len(kept), Deleted: deleted, Next: b.next(),
		ServerTime: c.serverTime(b, header)}, nil
}

// serverTime is when the exchange answered: Bundle.meta.lastUpdated, else its Date
// header, else our own clock.
func (c *Client) serverTime(b bundle, header http.Header) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, b.Meta.LastUpdated); err == nil {
		return t.UTC()
	}
	if t, err := http.ParseTime(header.Get("Date")); err == nil {
		return t.UTC()
	}
	return c.now().UTC()
}

// encodeBundle writes the kept entries by hand: encoding/json would compact the
// resources and escape the HTML in their narratives, and they must stay as sent.
func encodeBundle(typ string, entries []bundleEntry) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"resourceType":"Bundle"`)
	if typ != "" {
		buf.WriteString(`,"type":`)
		writeString(&buf, typ)
	}
	if len(entries) > 0 {
		buf.WriteString(`,"entry":[`)
		for i, e := range entries {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteByte('{')
			if e.FullURL != "" {
				buf.WriteString(`"fullUrl":`)
				writeString(&buf, e.FullURL)
				buf.WriteByte(',')
			}
			buf.WriteString(`"resource":`)
			buf.Write(e.Resource)
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
	if !json.Valid(buf.Bytes()) {
		return nil, errors.New("the kept entries do not make a valid Bundle")
	}
	return buf.Bytes(), nil
}

func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode ends with a newline
}

var resourceTypeName = regexp.MustCompile(`^[A-Z][A-Za-z]+$`)

// typeAndID reads "Type/id" from a reference, relative or absolute, with or
// without _history or a query.
func typeAndID(ref string) (string, bool) {
	u, err := url.Parse(ref)
	if err != nil || ref == "" {
		return "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if i := lastIndex(parts, "_history"); i >= 0 {
		parts = parts[:i]
	}
	if len(parts) < 2 {
		return "", false
	}
	typ, id := parts[len(parts)-2], parts[len(parts)-1]
	if !resourceTypeName.MatchString(typ) || id == "" {
		return "", false
	}
	return typ + "/" + id, true
}

func lastIndex(parts []string, s string) int {
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] == s {
			return i
		}
	}
	return -1
}
