package fhirclient

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/fault"
)

const nhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// MatchPatient implements app.ExchangeClient. Only entries the server calls
// matches (or leaves unmarked) count: an _include'd Patient or an outcome does not.
func (c *Client) MatchPatient(ctx context.Context, x exchange.Exchange, nhsNumber string) (string, error) {
	return guarded(c, x, func() (string, error) {
		target := base(x) + "/Patient?identifier=" + url.QueryEscape(nhsNumberSystem+"|"+nhsNumber)
		r, err := c.fhirGet(ctx, x, target, tokenRequired)
		if err != nil {
			return "", err
		}
		b, err := parseBundle(r.body)
		if err != nil {
			return "", malformed(r.status, fmt.Errorf("GET %s: %w", redact(target), err))
		}
		var ids []string
		for _, e := range b.Entry {
			if (e.Search.Mode != "" && e.Search.Mode != "match") || !e.hasResource() {
				continue
			}
			h, err := e.head()
			if err != nil {
				return "", malformed(r.status, fmt.Errorf("GET %s: %w", redact(target), err))
			}
			if h.ResourceType == "Patient" {
				ids = append(ids, h.ID)
			}
		}
		switch {
		case len(ids) > 1 || (b.Total != nil && *b.Total > 1):
			return "", &app.ExchangeFault{Reason: exchange.ReasonAmbiguous, Message: msgAmbiguous, Status: r.status}
		case len(ids) == 0:
			return "", &app.ExchangeFault{Reason: exchange.ReasonNotMatched, Message: msgNotMatched, Status: r.status}
		case ids[0] == "":
			return "", malformed(r.status, fmt.Errorf("GET %s: the matching Patient has no id", redact(target)))
		}
		return ids[0], nil
	})
}

// Search implements app.ExchangeClient.
func (c *Client) Search(ctx context.Context, x exchange.Exchange, q app.SearchQuery) (app.Page, error) {
	target, err := searchURL(x, q)
	if err != nil {
		return app.Page{}, err
	}
	return guarded(c, x, func() (app.Page, error) {
		r, err := c.fhirGet(ctx, x, target, tokenRequired)
		if err != nil {
			return app.Page{}, err
		}
		b, err := parseBundle(r.body)
		if err == nil {
			var p app.Page
			if p, err = c.page(b, r.header); err == nil {
				return p, nil
			}
		}
		return app.Page{}, malformed(r.status, fmt.Errorf("GET %s: %w", redact(target), err))
	})
}

// searchURL is the page q asks for. A next link is followed exactly as the
// exchange gave it, but only on the exchange's own scheme and host: a link
// elsewhere would take Kith's token with it.
func searchURL(x exchange.Exchange, q app.SearchQuery) (string, error) {
	if q.Next != "" {
		next, err := url.Parse(q.Next)
		baseURL, berr := url.Parse(x.BaseURL)
		if err != nil || berr != nil || !sameOrigin(next, baseURL) {
			return "", malformed(0, fmt.Errorf("next link %s is not on the exchange's host", redact(q.Next)))
		}
		return q.Next, nil
	}
	if !resourceTypeName.MatchString(q.ResourceType) || q.Patient == "" {
		return "", fmt.Errorf("search needs a resource type and a patient: %w", fault.ErrInvalid)
	}
	if q.ResourceType == "Patient" {
		return base(x) + "/Patient?_id=" + url.QueryEscape(q.Patient), nil
	}
	if q.PatientParam == "" {
		return "", fmt.Errorf("search of %s needs the parameter naming the patient: %w", q.ResourceType, fault.ErrInvalid)
	}
	var s strings.Builder
	path := "/" + q.ResourceType
	if q.History {
		path += "/_history"
	}
	s.WriteString(base(x) + path + "?" + url.QueryEscape(q.PatientParam) + "=" + url.QueryEscape(q.Patient))
	if q.Count > 0 {
		s.WriteString("&_count=" + strconv.Itoa(q.Count))
	}
	if q.History {
		if !q.Since.IsZero() {
			s.WriteString("&_since=" + url.QueryEscape(q.Since.UTC().Format("2006-01-02T15:04:05.000Z07:00")))
		}
	} else if !q.Since.IsZero() {
		s.WriteString("&_lastUpdated=" + url.QueryEscape("gt"+q.Since.UTC().Format("2006-01-02T15:04:05.000Z07:00")))
	}
	return s.String(), nil
}

func base(x exchange.Exchange) string { return strings.TrimSuffix(x.BaseURL, "/") }

// sameOrigin compares scheme and host, a default port written out or not.
func sameOrigin(a, b *url.URL) bool {
	if a == nil || b == nil || a.Host == "" || !strings.EqualFold(a.Scheme, b.Scheme) {
		return false
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
