package httpapi

import (
	"bytes"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/klauspost/compress/gzip"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/domain/record"
)

// encodedSummaries is how many summaries' encodings a server keeps (about 50 KB
// each): encoding was a third of a summary read once the summary itself was kept.
const encodedSummaries = 256

// summaryEncodings keeps the encodings of recent summaries by their Version, so a
// summary read again unchanged, by a reader of the same scope, is not encoded
// again. A summary without a Version is encoded every time.
type summaryEncodings struct {
	kept *lru.Cache[string, encodedSummary]
}

func newSummaryEncodings() summaryEncodings {
	c, err := lru.New[string, encodedSummary](encodedSummaries)
	if err != nil {
		panic(err) // only for a size below one
	}
	return summaryEncodings{kept: c}
}

// encode is the summary's JSON and its ETag. The bytes are shared between answers
// and never written to.
func (e summaryEncodings) encode(s record.Summary) (encodedSummary, error) {
	if s.Version != "" {
		if enc, ok := e.kept.Get(s.Version); ok {
			return enc, nil
		}
	}
	body, err := gojson.Marshal(summaryView(s))
	if err != nil {
		return encodedSummary{}, err
	}
	enc := encodedSummary{body: body, etag: contentETag(body)}
	if s.Version != "" {
		// Only a kept encoding is worth compressing at the best level; any other
		// is left to the server's compression at its fastest.
		enc.gzipped = &gzipped{}
		e.kept.Add(s.Version, enc)
	}
	return enc, nil
}

// encodedSummary answers the summary with the bytes its ETag was computed from,
// so the summary is encoded once, not once for the tag and again for the body.
type encodedSummary struct {
	body []byte
	etag string
	// gzipped is the body compressed, made at the first answer that accepts it and
	// shared by every answer of this encoding after.
	gzipped *gzipped
}

type gzipped struct {
	once sync.Once
	body []byte
	err  error
}

func (r encodedSummary) VisitGetRecordSummaryResponse(c *fiber.Ctx) error {
	c.Set(fiber.HeaderETag, r.etag)
	return r.send(c)
}

// An organisation's summary has no ETag in the contract: only the bytes.
func (r encodedSummary) VisitGetOrgRecordSummaryResponse(c *fiber.Ctx) error { return r.send(c) }

// send answers the body, gzipped once for all when the client takes gzip: the
// server's compression leaves an answer that already has a Content-Encoding be.
func (r encodedSummary) send(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Status(fiber.StatusOK)
	if r.gzipped == nil || !c.Request().Header.HasAcceptEncoding("gzip") {
		return c.Send(r.body)
	}
	r.gzipped.once.Do(func() { r.gzipped.body, r.gzipped.err = gzipBytes(r.body) })
	if r.gzipped.err != nil {
		return c.Send(r.body)
	}
	c.Vary(fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderContentEncoding, "gzip")
	return c.Send(r.gzipped.body)
}

// gzipBytes compresses b at the best level: it is done once per summary, and a
// phone on a slow connection gains from every byte.
func gzipBytes(b []byte) ([]byte, error) {
	var out bytes.Buffer
	w, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
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
	body := make([]byte, 0, len(r.Summary)+len(expires)+len(label)+len(patient)+64)
	body = append(append(append(body, `{"expiresAt":`...), expires...), `,"label":`...)
	body = append(append(append(body, label...), `,"patient":`...), patient...)
	body = append(append(append(body, `,"summary":`...), r.Summary...), '}')
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(fiber.StatusOK).Send(body)
}
