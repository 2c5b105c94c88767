package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/sethvargo/go-envconfig"
	"github.com/spf13/cobra"

	"github.com/kith-health/kith/app/config"
	"github.com/kith-health/kith/migrations"
)

func migrateCommand(env envconfig.Lookuper, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the schema steps the configured store has not had yet",
		Long:  "Applies the embedded schema steps in order. Running it again is a no-op.\nA store whose schema is newer than this binary is refused.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Context(), env)
			if err != nil {
				return err
			}
			store, where, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer store.Close(context.Background())
			applied, err := store.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(stdout, "%s: schema up to date\n", where)
				return nil
			}
			fmt.Fprintf(stdout, "%s: applied schema steps %v\n", where, applied)
			if slices.Contains(applied, migrations.SummaryFromEntries) {
				fmt.Fprintln(stdout, "entries stored before this step are in no summary section: run `kith admin rebuild-summaries`")
			}
			return nil
		},
	}
}
