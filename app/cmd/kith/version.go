package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/kith-health/kith/migrations"
)

// version is set at release build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func versionCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, and the schema versions this binary knows",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			sqlSteps, err := migrations.SQLite()
			if err != nil {
				return err
			}
			mongoSteps, err := migrations.Mongo()
			if err != nil {
				return err
			}
			revision := "unknown"
			if info, ok := debug.ReadBuildInfo(); ok {
				for _, s := range info.Settings {
					if s.Key == "vcs.revision" {
						revision = s.Value
					}
				}
			}
			fmt.Fprintf(stdout, "kith %s (revision %s, %s)\nschema: sqlite %d, mongodb %d\n",
				version, revision, runtime.Version(), len(sqlSteps), len(mongoSteps))
			return nil
		},
	}
}
