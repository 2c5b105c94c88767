package httpapi

import (
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kith-health/kith/adapters/logging"
)

const headerRequestID = "X-Request-ID"

// acceptableRequestID bounds what a client may choose as its request id: it goes into
// logs, so nothing that could forge a log line or carry personal data at length.
var acceptableRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// withRequestID gives every request an id, keeping the client's when it is a safe
// one (so the app can quote it), puts it on the response and in the context for logs.
func withRequestID(c *fiber.Ctx) error {
	// A copy: the id outlives the request buffer it was read from (logs, goroutines).
	id := strings.Clone(c.Get(headerRequestID))
	if !acceptableRequestID.MatchString(id) {
		id = uuid.NewString()
	}
	c.Set(headerRequestID, id)
	c.Locals(requestIDLocal{}, id)
	c.SetUserContext(logging.WithRequestID(c.UserContext(), id))
	return c.Next()
}

type requestIDLocal struct{}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDLocal{}).(string)
	return id
}
