package fhirclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

// The messages a patient may read. They name no URL, token or NHS number.
const (
	msgAuth        = "The exchange did not accept Kith's credentials"
	msgKey         = "Kith's key for the exchange cannot be used, so Kith could not sign in"
	msgNotMatched  = "The exchange has no record under your NHS number"
	msgAmbiguous   = "The exchange holds several records under your NHS number, so nothing was pulled"
	msgMalformed   = "The exchange sent an incomplete or malformed page"
	msgUnreachable = "The exchange is not answering; Kith will try again"
	msgRateLimited = "The exchange asked Kith to slow down; Kith will try again later"
	msgCircuitOpen = "Kith stopped asking the exchange for a while after repeated failures"
	msgRejected    = "The exchange refused the request"
)

// errBadURL is a URL that does not parse: a caller's mistake, not the exchange's.
var errBadURL = errors.New("not a usable URL")

func authFault(status int, err error) *app.ExchangeFault {
	return &app.ExchangeFault{Reason: exchange.ReasonAuth, Message: msgAuth, Status: status, Err: err}
}

func malformed(status int, err error) *app.ExchangeFault {
	return &app.ExchangeFault{Reason: exchange.ReasonMalformed, Message: msgMalformed, Status: status, Err: err}
}

func unreachable(status int, err error) *app.ExchangeFault {
	return &app.ExchangeFault{Reason: exchange.ReasonUnreachable, Message: msgUnreachable, Status: status, Err: err}
}

func rateLimited(retryAt time.Time, err error) *app.ExchangeFault {
	return &app.ExchangeFault{Reason: exchange.ReasonRateLimited, Message: msgRateLimited,
		RetryAt: retryAt, Status: 429, Err: err}
}

// rejected explains a 4xx with the exchange's own words when its OperationOutcome
// has any, scrubbed of what a patient must not be shown.
func rejected(r reply, err error) *app.ExchangeFault {
	msg := msgRejected
	if text := outcomeText(r.body); text != "" {
		msg += ": " + text
	}
	return &app.ExchangeFault{Reason: exchange.ReasonRejected, Message: msg, Status: r.status, Err: err}
}

// canceled wraps the caller's giving up: it is not the exchange's failure, so it is
// no fault and does not count against the exchange's breaker.
func canceled(ctx context.Context, x exchange.Exchange) error {
	return fmt.Errorf("asking exchange %s: %w", x.ID, ctx.Err())
}

// outcomeText is what an OperationOutcome says: each issue's diagnostics, else its
// details.text.
func outcomeText(body []byte) string {
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Diagnostics string `json:"diagnostics"`
			Details     struct {
				Text string `json:"text"`
			} `json:"details"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		return ""
	}
	var parts []string
	for _, is := range oo.Issue {
		text := strings.TrimSpace(is.Diagnostics)
		if text == "" {
			text = strings.TrimSpace(is.Details.Text)
		}
		if text != "" {
			parts = append(parts, text)
		}
	}
	return scrub(strings.Join(parts, "; "))
}

var (
	// A server may echo the identifier it was asked for, so any run of ten or more
	// digits (an NHS number, perhaps spaced 3-3-4 or next to a letter) is withheld.
	digitRun = regexp.MustCompile(`\d(?:[ -]?\d)*`)
	// A URL's query may hold an identifier or a patient id.
	urlLike = regexp.MustCompile(`https?://[^\s"'<>]+`)
)

// maxOutcomeText keeps an exchange's explanation to something a screen can show.
const maxOutcomeText = 300

func scrub(s string) string {
	s = digitRun.ReplaceAllStringFunc(s, func(run string) string {
		digits := 0
		for _, r := range run {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits >= 10 {
			return "[number withheld]"
		}
		return run
	})
	s = urlLike.ReplaceAllStringFunc(s, func(u string) string {
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			return u[:i]
		}
		return u
	})
	if r := []rune(s); len(r) > maxOutcomeText {
		s = string(r[:maxOutcomeText]) + "…"
	}
	return s
}

// redact is a URL without its query or fragment, fit for an error: a query can
// carry an NHS number.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
