package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kith-health/kith/adapters/sandbox"
	"github.com/kith-health/kith/adapters/synthetic"
	"github.com/kith-health/kith/app"
)

// sandboxOptions are the sandbox-exchange flags.
type sandboxOptions struct {
	fixtures, addr, prefix string
	clientID, clientJWKS   string
	public                 bool
	seed                   int64
	faults                 sandbox.Faults
}

func sandboxExchangeCommand(stdout io.Writer) *cobra.Command {
	var o sandboxOptions
	cmd := &cobra.Command{
		Use:   "sandbox-exchange",
		Short: "Serve a sandbox regional exchange (FHIR R4) for demos and tests",
		Long: "Serves FHIR bundles, one patient's record each, the way an English shared care\n" +
			"record on Oracle Health Millennium R4 does: SMART Backend Services tokens,\n" +
			"searches by patient with _lastUpdated and paging, Patient/$everything, history.\n" +
			"With --fixtures it serves every patient bundle in that folder; without, the demo\n" +
			"patients' synthetic records, whose NHS numbers match `kith serve`'s demo cast.\n" +
			"The fault flags make it misbehave on purpose. It runs until SIGINT or SIGTERM.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSandboxExchange(cmd.Context(), o, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.fixtures, "fixtures", "", "folder of FHIR Bundle *.json files, one patient each (default: the synthetic demo records)")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8090", "address to listen on")
	f.BoolVar(&o.public, "public", false, "allow an address that is not loopback")
	f.StringVar(&o.prefix, "prefix", "/fhir", "path the FHIR base is served under")
	f.DurationVar(&o.faults.Latency, "latency", 0, "added to every response, e.g. 50ms")
	f.Float64Var(&o.faults.Rate429, "rate-429", 0, "fraction of requests answered 429 with Retry-After")
	f.Float64Var(&o.faults.Rate500, "rate-500", 0, "fraction of requests answered 500")
	f.Float64Var(&o.faults.RateTruncate, "truncate", 0, "fraction of responses cut off halfway through the body")
	f.Float64Var(&o.faults.RateDrop, "drop", 0, "fraction of connections closed without a response")
	f.DurationVar(&o.faults.GrowEvery, "grow-every", 0, "add a new Observation this often, e.g. 30s (0: never)")
	f.StringVar(&o.clientID, "client-id", "", "the only SMART client id accepted (default: any)")
	f.StringVar(&o.clientJWKS, "client-jwks", "", "JWKS file of the client's public keys (default: assertions are not verified)")
	f.Int64Var(&o.seed, "seed", 1, "seed for the fault dice and generated content")
	return cmd
}

func (o sandboxOptions) validate() error {
	for name, rate := range map[string]float64{
		"--rate-429": o.faults.Rate429, "--rate-500": o.faults.Rate500,
		"--truncate": o.faults.RateTruncate, "--drop": o.faults.RateDrop,
	} {
		if rate < 0 || rate > 1 {
			return fmt.Errorf("%s must be a fraction between 0 and 1", name)
		}
	}
	if sum := o.faults.Rate429 + o.faults.Rate500 + o.faults.RateTruncate + o.faults.RateDrop; sum > 1 {
		return fmt.Errorf("the fault rates add up to %.2f, more than every request", sum)
	}
	if o.faults.Latency < 0 || o.faults.GrowEvery < 0 {
		return errors.New("--latency and --grow-every cannot be negative")
	}
	if !strings.HasPrefix(o.prefix, "/") {
		return errors.New("--prefix must start with /")
	}
	return checkLoopback(o.addr, o.public)
}

// checkLoopback refuses to listen beyond this machine unless asked: the sandbox
// accepts unverified assertions by default and prints its patients.
func checkLoopback(addr string, public bool) error {
	if public {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %s is not a loopback address: give --public to listen on it", addr)
}

func runSandboxExchange(ctx context.Context, o sandboxOptions, stdout io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	bundles, source, err := sandboxBundles(o.fixtures)
	if err != nil {
		return err
	}
	var keys []byte
	if o.clientJWKS != "" {
		if keys, err = os.ReadFile(o.clientJWKS); err != nil {
			return fmt.Errorf("--client-jwks: %w", err)
		}
	}
	prefix := strings.TrimRight(o.prefix, "/")
	sb, err := sandbox.New(sandbox.Config{
		Bundles: bundles, Prefix: o.prefix, Faults: o.faults, Seed: o.seed,
		ClientID: o.clientID, ClientKeys: keys,
		// Fixed, so a restarted sandbox serves the same bytes and pulls find nothing new.
		LoadedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	base := "http://" + ln.Addr().String() + prefix
	printSandbox(stdout, base, source, keys != nil, sb.Patients())

	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), abortGrace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("sandbox exchange shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sandboxBundles reads the fixtures folder, or makes the demo cast's records so a
// fresh clone has an exchange to pull from.
func sandboxBundles(dir string) (bundles [][]byte, source string, err error) {
	if dir != "" {
		bundles, err = sandbox.LoadDir(dir)
		return bundles, dir, err
	}
	now := time.Now()
	for _, d := range app.DemoRoster() {
		if d.Patient.NHSNumber == "" {
			continue
		}
		b, err := synthetic.Demo(synthetic.Person{
			NHSNumber: d.Patient.NHSNumber.Value(), GivenName: d.Patient.Name.Given, FamilyName: d.Patient.Name.Family,
			BirthDate: d.Patient.BirthDate.Value(), Gender: d.Gender,
		}, now)
		if err != nil {
			return nil, "", fmt.Errorf("demo record for %s: %w", d.Name, err)
		}
		bundles = append(bundles, b)
	}
	return bundles, "the synthetic demo records", nil
}

// printSandbox tells the person running the sandbox where it is and whom it
// serves. The NHS numbers are printed on purpose: they are test-range numbers of
// made-up patients, and a demo needs them to link a patient to the exchange.
func printSandbox(w io.Writer, base, source string, verified bool, patients []sandbox.Patient) {
	fmt.Fprintf(w, "Sandbox exchange serving %d patients from %s\n", len(patients), source)
	fmt.Fprintf(w, "FHIR base:      %s\n", base)
	fmt.Fprintf(w, "Token endpoint: %s/token\n", base)
	if !verified {
		fmt.Fprintln(w, "Client assertions are not verified (no --client-jwks).")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATIENT ID\tNHS NUMBER\tBIRTH DATE\tRESOURCES")
	for _, p := range patients {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", p.ID, p.NHSNumber, p.BirthDate, p.Resources)
	}
	_ = tw.Flush()
}
