// Command kith-bench measures Kith over HTTP. `kith-bench run` starts a kith server
// on a fresh SQLite store, seeds it with synthetic patients, then drives each
// scenario from a separate load process beside a bare Fiber app (the ceiling), so
// every number of one run can be read as a share of the others.
//
// Subcommands:
//
//	kith-bench run [-patients 200] [-shared 50] [-duration 5s] [-workers 32]
//	kith-bench ceiling -addr 127.0.0.1:PORT -bytes N
//	kith-bench load -targets FILE -rate 0 -workers N -duration D -out FILE.json
//
// Flags take one dash or two, as the standard flag package reads them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:])
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kith-bench:", err)
		os.Exit(1)
	}
}

const usage = "usage: kith-bench run|ceiling|load|ferret [flags] (-h for each one's flags)"

func realMain(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "run":
		return runCommand(ctx, args[1:])
	case "ceiling":
		return ceilingCommand(ctx, args[1:])
	case "load":
		return loadCommand(ctx, args[1:])
	case "ferret":
		return ferretCommand(ctx, args[1:])
	}
	return fmt.Errorf("unknown command %q; %s", args[0], usage)
}
