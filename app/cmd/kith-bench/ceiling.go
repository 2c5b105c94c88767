package main

import (
	"context"
	"flag"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ceilingCommand serves the ceiling: a bare Fiber v2 app with one GET route
// answering a fixed JSON body, as big as a patient's summary. Whatever Kith does
// beyond that costs the difference, so each scenario is reported as a share of it.
func ceilingCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8099", "address to listen on (loopback)")
	size := fs.Int("bytes", 4096, "size of the JSON body, e.g. a measured summary's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body := ceilingBody(*size)
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	go func() {
		<-ctx.Done()
		_ = f.Shutdown()
	}()
	return f.Listen(*addr)
}

// ceilingBody is a JSON object of size bytes (or the smallest there is).
func ceilingBody(size int) []byte {
	const frame = `{"pad":""}`
	return []byte(`{"pad":"` + strings.Repeat("x", max(size-len(frame), 0)) + `"}`)
}
