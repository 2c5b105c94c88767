package httpapi

import (
	"bufio"
	"io"

	"github.com/gofiber/fiber/v2"
)

const fhirJSON = "application/fhir+json"

// fhirResource answers a FHIR resource as the exact bytes stored: the generated
// response types would re-encode it.
type fhirResource struct {
	body []byte
	etag string
}

func (r fhirResource) VisitGetRecordEntryResponse(c *fiber.Ctx) error {
	c.Set(fiber.HeaderETag, r.etag)
	c.Set(fiber.HeaderContentType, fhirJSON)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.Status(fiber.StatusOK).Send(r.body)
}

// fhirExport streams a Bundle as the app writes it, so a record of any size is sent
// with flat memory. Once streaming has begun the status is sent: a failure part-way
// leaves the Bundle unterminated, which a client detects as invalid JSON.
type fhirExport struct {
	export func(w io.Writer) error
	onErr  func(error)
}

func (r fhirExport) VisitExportRecordResponse(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fhirJSON)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="kith-record.json"`)
	c.Status(fiber.StatusOK)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := r.export(w); err != nil && r.onErr != nil {
			r.onErr(err)
		}
	})
	return nil
}

// An organisation's copy is not to be kept by caches between it and Kith.
func (r fhirResource) VisitGetOrgRecordEntryResponse(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fhirJSON)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusOK).Send(r.body)
}

func (r fhirExport) VisitExportOrgRecordResponse(c *fiber.Ctx) error {
	return r.VisitExportRecordResponse(c)
}

func (r fhirResource) VisitGetSharedRecordEntryResponse(c *fiber.Ctx) error {
	return r.VisitGetOrgRecordEntryResponse(c)
}

// fhirDocument answers a FHIR document Bundle Kith assembled, which no cache may keep.
type fhirDocument struct {
	body []byte
}

func (r fhirDocument) visit(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fhirJSON)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusOK).Send(r.body)
}

func (r fhirDocument) VisitGetRecordIpsResponse(c *fiber.Ctx) error       { return r.visit(c) }
func (r fhirDocument) VisitGetOrgRecordIpsResponse(c *fiber.Ctx) error    { return r.visit(c) }
func (r fhirDocument) VisitGetSharedRecordIpsResponse(c *fiber.Ctx) error { return r.visit(c) }
