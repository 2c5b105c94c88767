package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// ferretCommand serves an in-process FerretDB v1 (SQLite handler, data in -dir) for
// a run with -store ferretdb: the MongoDB store over the wire with nothing installed.
// Its figures are FerretDB's as much as Kith's (the v1 SQLite handler scans whole
// collections), which the report says.
func ferretCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ferret", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:27099", "address to listen on (loopback)")
	dir := fs.String("dir", "", "folder for FerretDB's SQLite files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	return f.Run(ctx)
}

// waitTCP waits until addr takes connections, the process exits, or timeout passes.
func (p *process) waitTCP(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		var d net.Dialer
		if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
			return c.Close()
		}
		select {
		case <-p.done:
			return p.exitedEarly()
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
