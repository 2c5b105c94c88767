// Command kith is Kith's one binary: kith serve | migrate | version | admin | sandbox-exchange.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sethvargo/go-envconfig"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := newRootCommand(envconfig.OsLookuper(), os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kith:", err)
		os.Exit(1)
	}
}

// newRootCommand builds the CLI; env, stdout and stderr are parameters so tests can
// run it in-process.
func newRootCommand(env envconfig.Lookuper, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "kith",
		Short:         "Kith: a patient-controlled personal health record",
		Long:          "Kith keeps each citizen's consented copy of their health record.\nSettings come from KITH_* environment variables: see README.md.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		serveCommand(env, stderr),
		migrateCommand(env, stdout),
		versionCommand(stdout),
		adminCommand(env, stdout),
		sandboxExchangeCommand(stdout),
	)
	return root
}
