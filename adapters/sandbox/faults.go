package sandbox

import (
	"net/http"
)

// fate is what the dice chose for one request.
type fate int

const (
	serveNormally fate = iota
	throttle
	fail
	truncate
	drop
)

func clamp01(x float64) float64 { return min(max(x, 0), 1) }

func clampFaults(f Faults) Faults {
	f.Rate429, f.Rate500 = clamp01(f.Rate429), clamp01(f.Rate500)
	f.RateTruncate, f.RateDrop = clamp01(f.RateTruncate), clamp01(f.RateDrop)
	f.Latency, f.GrowEvery = max(f.Latency, 0), max(f.GrowEvery, 0)
	return f
}

// roll draws the request's fate: one die per request, so with a fixed seed the
// n-th request always meets the same fault.
func (s *Sandbox) roll() (Faults, fate) {
	s.diceMu.Lock()
	defer s.diceMu.Unlock()
	f := s.faults
	u := s.dice.Float64()
	for _, c := range []struct {
		rate float64
		fate fate
	}{{f.Rate429, throttle}, {f.Rate500, fail}, {f.RateTruncate, truncate}, {f.RateDrop, drop}} {
		if u < c.rate {
			return f, c.fate
		}
		u -= c.rate
	}
	return f, serveNormally
}

// serve is the whole handler: faults decided first, as a gateway in front of the
// exchange would, and never after state changed, except truncation, which cuts an
// answer already made (a token issued then is simply never seen by the client).
func (s *Sandbox) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	f, fate := s.roll()
	s.growDue(f.GrowEvery)
	if f.Latency > 0 {
		s.sleep(f.Latency)
	}
	switch fate {
	case drop:
		s.dropped.Add(1)
		closeConnection(w)
		return
	case throttle:
		s.injected429.Add(1)
		resp := outcome(http.StatusTooManyRequests, "throttled", "too many requests: try again after the time in Retry-After")
		resp.header.Set("Retry-After", "1")
		resp.write(w, s.now())
		return
	case fail:
		s.injected500.Add(1)
		outcome(http.StatusInternalServerError, "exception", "the exchange failed to answer").write(w, s.now())
		return
	}
	resp := s.route(r)
	if fate == truncate && len(resp.body) > 0 {
		s.truncated.Add(1)
		resp.writeHeader(w, s.now())
		_, _ = w.Write(resp.body[:len(resp.body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		closeConnection(w)
		return
	}
	resp.write(w, s.now())
}

// closeConnection ends the connection without finishing the response: through
// Hijack on HTTP/1, else (HTTP/2) by aborting the handler, which resets the stream.
func closeConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
