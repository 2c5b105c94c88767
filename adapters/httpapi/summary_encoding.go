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

// sharedAnswersKept is how many share-code summary answers a server keeps,
// gzipped: a few kilobytes each.
const sharedAnswersKept = 256

// sharedAnswers keeps recent share-code summary answers gzipped, by the
// summary's Version and the answer's other members, so a clinician reading an
// unchanged record again is answered bytes made once: compressing the 50 KB
// answer on every read was most of its cost. A summary without a Version is
// encoded every time.
type sharedAnswers struct {
	kept *lru.Cache[string, []byte]
}

func newSharedAnswers() sharedAnswers {
	c, err := lru.New[string, []byte](sharedAnswersKept)
	if err != nil {
		panic(err) // only for a size below one
	}
	return sharedAnswers{kept: c}
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
	if err := gzipTo(&out, body); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// gzipTo writes body gzipped to out, at the default level: what is compressed
// once and answered many times is worth the smaller bytes.
func gzipTo(out *bytes.Buffer, body []byte) error {
	w, err := gzip.NewWriterLevel(out, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	return w.Close()
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

// sharedSummary is api.SharedSummary, answered from the kept answers when its
// summary has a Version (the sharing test holds it to api.SharedSummary's bytes).
type sharedSummary struct {
	ExpiresAt time.Time
	Label     string
	Patient   api.SharedPatient
	Summary   record.Summary
	answers   sharedAnswers
}

// VisitGetSharedRecordSummaryResponse writes the members in api.SharedSummary's
// order, gzipped once per summary version and share code.
func (r sharedSummary) VisitGetSharedRecordSummaryResponse(c *fiber.Ctx) error {
	head, err := r.head()
	if err != nil {
		return err
	}
	if r.Summary.Version == "" {
		body, err := r.body(head)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(fiber.StatusOK).Send(body)
	}
	key := r.Summary.Version + "\x00" + string(head)
	if gzipped, ok := r.answers.kept.Get(key); ok {
		return encodedSummary{gzipped: gzipped}.send(c)
	}
	body, err := r.body(head)
	if err != nil {
		return err
	}
	var gzipped bytes.Buffer
	if err := gzipTo(&gzipped, body); err != nil {
		return err
	}
	r.answers.kept.Add(key, gzipped.Bytes())
	return encodedSummary{gzipped: gzipped.Bytes()}.send(c)
}

// body is the whole answer, its head then the summary.
func (r sharedSummary) body(head []byte) ([]byte, error) {
	summary, err := gojson.Marshal(summaryView(r.Summary))
	if err != nil {
		return nil, err
	}
	return append(append(head, summary...), '}'), nil
}

// head is the answer up to its summary: `{"expiresAt":...,"summary":`.
func (r sharedSummary) head() ([]byte, error) {
	expires, err := gojson.Marshal(r.ExpiresAt)
	if err != nil {
		return nil, err
	}
	label, err := gojson.Marshal(r.Label)
	if err != nil {
		return nil, err
	}
	patient, err := gojson.Marshal(r.Patient)
	if err != nil {
		return nil, err
	}
	head := append([]byte(`{"expiresAt":`), expires...)
	head = append(append(append(head, `,"label":`...), label...), `,"patient":`...)
	return append(append(head, patient...), `,"summary":`...), nil
}
