package httpapi

import (
	"bytes"
	"errors"
	"io"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/klauspost/compress/gzip"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/domain/record"
)

// encodedSummaries is how many summaries' encodings a server keeps for the
// share-code summary, which wraps them (about 50 KB each).
const encodedSummaries = 256

// summaryEncodings keeps the encodings of recent summaries by their Version, so a
// summary read again unchanged, by a reader of the same scope, is not encoded
// again. A summary without a Version is encoded every time.
type summaryEncodings struct {
	kept *lru.Cache[string, []byte]
}

func newSummaryEncodings() summaryEncodings {
	c, err := lru.New[string, []byte](encodedSummaries)
	if err != nil {
		panic(err) // only for a size below one
	}
	return summaryEncodings{kept: c}
}

// encode is the summary's JSON, shared between answers and never written to.
func (e summaryEncodings) encode(s record.Summary) ([]byte, error) {
	if s.Version != "" {
		if body, ok := e.kept.Get(s.Version); ok {
			return body, nil
		}
	}
	body, err := gojson.Marshal(summaryView(s))
	if err != nil {
		return nil, err
	}
	if s.Version != "" {
		e.kept.Add(s.Version, body)
	}
	return body, nil
}

// summaryDoc is this adapter's app.SummaryEncoder: the JSON's ETag, then the JSON
// gzipped, as one doc the app keeps (in memory and in the store) and hands back
// on the next read of the same version. Phones take gzip, so the doc holds only
// that; a client that does not is answered the doc inflated.
func summaryDoc(s record.Summary) ([]byte, error) {
	body, err := gojson.Marshal(summaryView(s))
	if err != nil {
		return nil, err
	}
	etag := contentETag(body)
	var out bytes.Buffer
	out.WriteByte(byte(len(etag)))
	out.WriteString(etag)
	w, err := gzip.NewWriterLevel(&out, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(body); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// encodedSummary answers a summary doc: the ETag its JSON was tagged with when it
// was made, and the gzipped JSON.
type encodedSummary struct {
	etag    string
	gzipped []byte
}

// fromDoc reads a doc summaryDoc made.
func fromDoc(doc []byte) (encodedSummary, error) {
	if len(doc) == 0 || len(doc) < 1+int(doc[0]) {
		return encodedSummary{}, errors.New("summary doc: cut short")
	}
	n := 1 + int(doc[0])
	return encodedSummary{etag: string(doc[1:n]), gzipped: doc[n:]}, nil
}

func (r encodedSummary) VisitGetRecordSummaryResponse(c *fiber.Ctx) error {
	c.Set(fiber.HeaderETag, r.etag)
	return r.send(c)
}

// An organisation's summary has no ETag in the contract: only the bytes.
func (r encodedSummary) VisitGetOrgRecordSummaryResponse(c *fiber.Ctx) error { return r.send(c) }

// send answers the gzipped JSON as it is to a client that takes gzip (the
// server's compression leaves an answer that already has a Content-Encoding be),
// and inflated to one that does not.
func (r encodedSummary) send(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Status(fiber.StatusOK)
	c.Vary(fiber.HeaderAcceptEncoding)
	if c.Request().Header.HasAcceptEncoding("gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(r.gzipped)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.gzipped))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	return c.Send(body)
}

// encodedSharedSummary is api.SharedSummary with the summary's kept encoding in
// place of the summary (the sharing test holds the two to the same bytes).
type encodedSharedSummary struct {
	ExpiresAt time.Time
	Label     string
	Patient   api.SharedPatient
	Summary   []byte
}

// VisitGetSharedRecordSummaryResponse writes the members in api.SharedSummary's
// order and the summary's bytes as they are: a RawMessage would be scanned and
// compacted again on every answer.
func (r encodedSharedSummary) VisitGetSharedRecordSummaryResponse(c *fiber.Ctx) error {
	expires, err := gojson.Marshal(r.ExpiresAt)
	if err != nil {
		return err
	}
	label, err := gojson.Marshal(r.Label)
	if err != nil {
		return err
	}
	patient, err := gojson.Marshal(r.Patient)
	if err != nil {
		return err
	}
	// Written straight into the response's pooled buffer: a body of its own
	// was a summary-sized allocation per answer, most of what a clinician's
	// read allocated.
	res := c.Response()
	res.ResetBody()
	for _, part := range [][]byte{[]byte(`{"expiresAt":`), expires, []byte(`,"label":`), label,
		[]byte(`,"patient":`), patient, []byte(`,"summary":`), r.Summary, []byte(`}`)} {
		res.AppendBody(part)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Status(fiber.StatusOK)
	return nil
}
