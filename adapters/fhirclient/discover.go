package fhirclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

// Discover implements app.ExchangeClient. It is not behind the exchange's
// breaker: an operator registering (or correcting) an exchange should see what
// the exchange answers now, and pulls should not be held back by a mistyped URL.
func (c *Client) Discover(ctx context.Context, r exchange.Registration) (app.Discovery, error) {
	x := exchange.Exchange{ID: r.ID, Name: r.Name, BaseURL: strings.TrimSuffix(r.BaseURL, "/"), Client: r.Client,
		PageSize: r.PageSize, RatePerSecond: r.RatePerSecond, Concurrency: r.Concurrency}
	// Pace may divide by the ceilings, so it sees the defaults registration will give.
	if x.RatePerSecond == 0 {
		x.RatePerSecond = exchange.DefaultRatePerSecond
	}
	if x.Concurrency == 0 {
		x.Concurrency = exchange.DefaultConcurrency
	}
	d := app.Discovery{TokenURL: r.Client.TokenURL}
	if d.TokenURL == "" {
		tokenURL, err := c.smartTokenURL(ctx, x)
		if err != nil {
			return app.Discovery{}, err
		}
		d.TokenURL, x.Client.TokenURL = tokenURL, tokenURL
	}
	target := base(x) + "/metadata"
	resp, err := c.fhirGet(ctx, x, target, tokenIfHeld)
	if err != nil {
		return app.Discovery{}, err
	}
	var cs capabilityStatement
	if err := json.Unmarshal(resp.body, &cs); err != nil || cs.ResourceType != "CapabilityStatement" {
		return app.Discovery{}, malformed(resp.status, fmt.Errorf("GET %s: not a CapabilityStatement", redact(target)))
	}
	d.Types, d.Everything = cs.support()
	if d.TokenURL == "" {
		d.TokenURL = cs.oauthTokenURL()
	}
	return d, nil
}

// smartTokenURL is the token_endpoint of the exchange's SMART configuration, ""
// when it publishes none (then the CapabilityStatement may say). Some servers
// answer unknown paths with an HTML page, so a body that is not the JSON asked for
// counts as none rather than as a broken exchange.
func (c *Client) smartTokenURL(ctx context.Context, x exchange.Exchange) (string, error) {
	target := base(x) + "/.well-known/smart-configuration"
	r, err := c.do(ctx, x, call{auth: noAuth, build: func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", redact(target), errBadURL)
		}
		req.Header.Set("Accept", "application/json")
		return req, nil
	}})
	if err != nil || r.status < 200 || r.status >= 300 {
		return "", err
	}
	var conf struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if json.Unmarshal(r.body, &conf) != nil {
		return "", nil
	}
	return conf.TokenEndpoint, nil
}

// capabilityStatement is as much of a FHIR R4 CapabilityStatement as Kith reads.
type capabilityStatement struct {
	ResourceType string `json:"resourceType"`
	Rest         []struct {
		Mode     string `json:"mode"`
		Security struct {
			Extension []extension `json:"extension"`
		} `json:"security"`
		Resource []capabilityResource `json:"resource"`
	} `json:"rest"`
}

type capabilityResource struct {
	Type        string      `json:"type"`
	Extension   []extension `json:"extension"`
	Interaction []struct {
		Code string `json:"code"`
	} `json:"interaction"`
	SearchParam []struct {
		Name          string `json:"name"`
		Documentation string `json:"documentation"`
	} `json:"searchParam"`
	Operation []struct {
		Name       string `json:"name"`
		Definition string `json:"definition"`
	} `json:"operation"`
}

type extension struct {
	URL          string      `json:"url"`
	ValueInteger json.Number `json:"valueInteger"`
	ValueURI     string      `json:"valueUri"`
	ValueURL     string      `json:"valueUrl"`
	Extension    []extension `json:"extension"`
}

const oauthURIs = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"

// support reads, per resource type the server can search, how to search it by
// patient. A type without a patient or subject parameter cannot be, so it is left
// out; Patient itself is searched by _id.
func (cs capabilityStatement) support() ([]exchange.TypeSupport, bool) {
	var types []exchange.TypeSupport
	everything := false
	for _, res := range cs.serverResources() {
		if res.Type == "Patient" && res.has("everything") {
			everything = true
		}
		if !res.searchable() {
			continue
		}
		t := exchange.TypeSupport{ResourceType: res.Type, LastUpdated: res.param("_lastUpdated"), MaxCount: res.maxCount(),
			History: res.interaction("history-type")}
		switch {
		case res.Type == "Patient":
			t.PatientParam = "_id"
		case res.param("patient"):
			t.PatientParam = "patient"
		case res.param("subject"):
			t.PatientParam = "subject"
		default:
			continue
		}
		types = append(types, t)
	}
	return types, everything
}

// serverResources are the resources of the first rest section in server mode: one
// describes the server; a client section describes what it calls.
func (cs capabilityStatement) serverResources() []capabilityResource {
	for _, rest := range cs.Rest {
		if rest.Mode == "server" {
			return rest.Resource
		}
	}
	return nil
}

// oauthTokenURL is the token endpoint in rest.security's SMART oauth-uris extension.
func (cs capabilityStatement) oauthTokenURL() string {
	for _, rest := range cs.Rest {
		for _, ext := range rest.Security.Extension {
			if ext.URL != oauthURIs {
				continue
			}
			for _, sub := range ext.Extension {
				if sub.URL == "token" {
					return sub.ValueURI + sub.ValueURL
				}
			}
		}
	}
	return ""
}

func (res capabilityResource) searchable() bool { return res.interaction("search-type") }

func (res capabilityResource) interaction(code string) bool {
	for _, i := range res.Interaction {
		if i.Code == code {
			return true
		}
	}
	return false
}

func (res capabilityResource) param(name string) bool {
	for _, p := range res.SearchParam {
		if p.Name == name {
			return true
		}
	}
	return false
}

func (res capabilityResource) has(operation string) bool {
	for _, op := range res.Operation {
		if strings.TrimPrefix(op.Name, "$") == operation || strings.HasSuffix(op.Definition, "Patient-"+operation) {
			return true
		}
	}
	return false
}

// maxCountText finds a cap stated in words, as in "max 200" or "Maximum: 1000".
var maxCountText = regexp.MustCompile(`(?i)\bmax(?:imum)?\b\D{0,20}?(\d+)`)

// maxCount is the largest _count the type takes: an extension whose url ends
// max-count or maxPageSize, else a cap written in the _count parameter's
// documentation; 0 when the statement sets none.
func (res capabilityResource) maxCount() int {
	for _, ext := range res.Extension {
		u := strings.ToLower(ext.URL)
		if strings.HasSuffix(u, "max-count") || strings.HasSuffix(u, "maxpagesize") {
			if n, err := strconv.Atoi(ext.ValueInteger.String()); err == nil && n > 0 {
				return n
			}
		}
	}
	for _, p := range res.SearchParam {
		if p.Name != "_count" {
			continue
		}
		if m := maxCountText.FindStringSubmatch(p.Documentation); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}
