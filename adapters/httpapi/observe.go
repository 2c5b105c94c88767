package httpapi

import (
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the HTTP series. Labels are route templates, never raw paths: a path
// may carry an NHS number, and raw paths would make the series unbounded.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kith_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kith_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe counts and times every request and writes one access log line. It runs
// outermost, so it sees the status the error handler chose.
func observe(m *metrics, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Let the error handler write the answer now, so the status is known.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				c.Status(fiber.StatusInternalServerError)
			}
		}
		elapsed := time.Since(start)
		route := routeTemplate(c)
		status := c.Response().StatusCode()
		// Fiber's strings borrow its request buffers, which are reused once the request
		// ends; Prometheus keeps label values for ever, so they must be copies.
		method := strings.Clone(c.Method())
		m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())
		level := slog.LevelInfo
		if quietRoutes[route] {
			level = slog.LevelDebug
		}
		log.Log(c.UserContext(), level, "request",
			"method", method, "route", route, "status", status,
			"duration_ms", float64(elapsed.Microseconds())/1000)
		return nil
	}
}

// quietRoutes are polled by machines every few seconds; logging each poll at info
// would bury the requests people make.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// routeTemplate is the matched route's pattern, or "unmatched" when only middleware
// ran: Fiber then reports the middleware's own path, "/", where Kith serves nothing.
func routeTemplate(c *fiber.Ctx) string {
	r := c.Route()
	if r == nil || r.Path == "/" || r.Path == "" {
		return "unmatched"
	}
	return strings.Clone(r.Path)
}
