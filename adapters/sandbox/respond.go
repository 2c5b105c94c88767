package sandbox

import (
	"net/http"
	"strconv"
	"time"
)

const fhirContentType = "application/fhir+json"

// response is an answer built whole before anything is sent, so a fault can cut
// it short or replace it without the handler knowing.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonBody(status int, contentType string, v any) response {
	body, err := encode(v)
	if err != nil {
		return outcome(http.StatusInternalServerError, "exception", "the sandbox could not encode its answer")
	}
	return response{status: status, header: http.Header{"Content-Type": {contentType}}, body: body}
}

func fhirJSON(status int, v any) response { return jsonBody(status, fhirContentType, v) }

// outcome is an OperationOutcome with one error issue; the text goes in both
// details.text and diagnostics, where different clients look for it.
func outcome(status int, issueCode, text string) response {
	return fhirJSON(status, map[string]any{
		"resourceType": "OperationOutcome",
		"issue": []any{map[string]any{
			"severity":    "error",
			"code":        issueCode,
			"details":     map[string]any{"text": text},
			"diagnostics": text,
		}},
	})
}

func badRequest(text string) response { return outcome(http.StatusBadRequest, "invalid", text) }

func notFound(text string) response { return outcome(http.StatusNotFound, "not-found", text) }

// origin is scheme://host as the client reached the sandbox.
func origin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// base is the FHIR base URL as the client reached it.
func (s *Sandbox) base(r *http.Request) string { return origin(r) + s.prefix }

// writeHeader sets what every answer carries: its type, its length, and the Date by the
// sandbox's clock, which a client may take as the server's time.
func (resp response) writeHeader(w http.ResponseWriter, now time.Time) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	w.WriteHeader(resp.status)
}

func (resp response) write(w http.ResponseWriter, now time.Time) {
	resp.writeHeader(w, now)
	_, _ = w.Write(resp.body)
}
