package httpapi

import "github.com/gofiber/fiber/v2"

// largeBody is the request body size past which a connection's buffer is not
// kept for its next request.
const largeBody = 256 << 10

// releaseLargeBodies lets a large request body's buffer go once its request is
// answered. fasthttp keeps each connection's body buffer for reuse, grown to the
// largest body it has held: after a few uploads, megabytes per connection stayed
// on the heap (22 MB of a benchmark's 82 MB live) for answers of a few hundred
// bytes.
func releaseLargeBodies(c *fiber.Ctx) error {
	err := c.Next()
	c.Request().ReleaseBody(largeBody)
	return err
}
