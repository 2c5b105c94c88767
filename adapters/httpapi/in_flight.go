package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// InFlight is the context every request runs under, and the count of requests
// running. Shutdown first lets requests finish; those still running when its
// grace ends are told to stop through their context (an upload stops between two
// entries, a clean point), then waited for a little, so the store is not closed
// under a write.
type InFlight struct {
	ctx     context.Context
	abort   context.CancelFunc
	running sync.WaitGroup
}

// NewInFlight makes one for a server.
func NewInFlight() *InFlight {
	ctx, abort := context.WithCancel(context.Background())
	return &InFlight{ctx: ctx, abort: abort}
}

func (f *InFlight) track(c *fiber.Ctx) error {
	f.running.Add(1)
	defer f.running.Done()
	c.SetUserContext(f.ctx)
	return c.Next()
}

// Abort cancels every running request's context and waits up to wait for them to
// return. It reports whether they all did.
func (f *InFlight) Abort(wait time.Duration) bool {
	f.abort()
	done := make(chan struct{})
	go func() {
		f.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(wait):
		return false
	}
}
