package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// loadReport is what one load process writes: vegeta's metrics, and what they leave
// out. Vegeta counts 3xx as success; here anything but 2xx is an error, and the
// first few distinct error answers are kept so the report can say what went wrong.
type loadReport struct {
	Metrics     vegeta.Metrics `json:"metrics"`
	Non2xx      uint64         `json:"non2xx"`
	ErrorBodies []string       `json:"errorBodies,omitempty"`
}

// keptErrors is how many distinct error answers a report keeps.
const keptErrors = 5

// loadCommand runs one scenario's load in a process of its own, so the load
// generator's garbage and goroutines never count against the server it measures.
func loadCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	targetsFile := fs.String("targets", "", "JSON array of vegeta targets (method, url, header, body as base64), round-robined")
	rate := fs.Int("rate", 0, "requests per second; 0 is as fast as the workers go")
	workers := fs.Int("workers", 32, "concurrent workers (each keeps one connection)")
	duration := fs.Duration("duration", 5*time.Second, "how long to attack")
	out := fs.String("out", "", "where to write the report (JSON)")
	name := fs.String("name", "kith-bench", "attack name, sent as X-Vegeta-Attack")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *targetsFile == "" || *out == "" {
		return errors.New("load: -targets and -out are required")
	}
	if *workers < 1 {
		return errors.New("load: -workers must be at least 1")
	}
	raw, err := os.ReadFile(*targetsFile)
	if err != nil {
		return err
	}
	var targets []vegeta.Target
	if err := json.Unmarshal(raw, &targets); err != nil {
		return fmt.Errorf("%s: %w", *targetsFile, err)
	}
	if len(targets) == 0 {
		return fmt.Errorf("%s: no targets", *targetsFile)
	}

	rep := attack(ctx, targets, *rate, *workers, *duration, *name)
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}

func attack(ctx context.Context, targets []vegeta.Target, rate, workers int, duration time.Duration, name string) loadReport {
	// Rate 0 is unbounded only with a cap on workers: the attacker then runs a
	// closed loop of exactly that many, each sending as soon as its last answer came.
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(workers)),
		vegeta.MaxWorkers(uint64(workers)),
		vegeta.KeepAlive(true),
		// A redirect is an answer of its own (the viewer sends an ended session back
		// to /view), never to be followed into a 200 that hides it.
		vegeta.Redirects(vegeta.NoFollow),
	)
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-stopped:
		}
	}()

	var rep loadReport
	seen := map[string]bool{}
	pacer := vegeta.Rate{Freq: rate, Per: time.Second}
	for res := range atk.Attack(vegeta.NewStaticTargeter(targets...), pacer, duration, name) {
		rep.Metrics.Add(res)
		if res.Code >= 200 && res.Code < 300 {
			continue
		}
		rep.Non2xx++
		what := res.Error // a transport error has no status or body
		if len(res.Body) > 0 {
			what = string(res.Body)
		}
		e := fmt.Sprintf("%d %s %s: %s", res.Code, res.Method, res.URL, clip(what, 300))
		if key := fmt.Sprintf("%d %s", res.Code, clip(what, 300)); !seen[key] && len(rep.ErrorBodies) < keptErrors {
			seen[key] = true
			rep.ErrorBodies = append(rep.ErrorBodies, e)
		}
	}
	rep.Metrics.Close()
	return rep
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
