package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/spf13/cobra"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/config"
	"github.com/kith-health/kith/domain/identity"
)

// errChainBroken makes verify-audit exit non-zero, for scripts and alerting.
var errChainBroken = errors.New("an access log chain is broken")

func adminCommand(env envconfig.Lookuper, stdout io.Writer) *cobra.Command {
	admin := &cobra.Command{
		Use:   "admin",
		Short: "Operators' tasks against the configured store",
	}
	admin.AddCommand(verifyAuditCommand(env, stdout), accessReportsCommand(env, stdout), parkedAlertsCommand(env, stdout),
		rebuildSummariesCommand(env, stdout))
	return admin
}

// withApp opens the configured store, checks its schema and runs fn with the app.
func withApp(ctx context.Context, env envconfig.Lookuper, fn func(*app.App) error) error {
	cfg, err := config.Load(ctx, env)
	if err != nil {
		return err
	}
	store, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close(context.Background())
	if err := store.CheckSchema(ctx); err != nil {
		return err
	}
	a, err := app.New(store, time.Now)
	if err != nil {
		return err
	}
	return fn(a)
}

func verifyAuditCommand(env envconfig.Lookuper, stdout io.Writer) *cobra.Command {
	var patientID string
	cmd := &cobra.Command{
		Use:   "verify-audit",
		Short: "Check the hash chain of access logs and report the first break",
		Long: "Recomputes every access event's hash and its link to the one before, for one\n" +
			"patient (--patient) or all. Prints one line per patient; exits non-zero if any\n" +
			"chain is broken, naming the first event that does not follow.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			broken, checked := 0, 0
			err := withApp(cmd.Context(), env, func(a *app.App) error {
				return a.VerifyAudit(cmd.Context(), patientID, func(c app.ChainCheck) error {
					checked++
					if c.Break == nil {
						fmt.Fprintf(stdout, "ok      patient %s: %d events\n", c.PatientID, c.Events)
						return nil
					}
					broken++
					fmt.Fprintf(stdout, "BROKEN  patient %s: %d events; first break at seq %d (event %s): %s\n",
						c.PatientID, c.Events, c.Break.Seq, c.Break.EventID, c.Break.Problem)
					return nil
				})
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%d patients checked, %d broken\n", checked, broken)
			if broken > 0 {
				return errChainBroken
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&patientID, "patient", "", "check only this patient's log (their Kith id)")
	return cmd
}

func accessReportsCommand(env envconfig.Lookuper, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "access-reports",
		Short: "List accesses patients did not recognise, most recently reported first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(cmd.Context(), env, func(a *app.App) error {
				reports, err := a.AccessReports(cmd.Context(), identity.Principal{Kind: identity.KindOperator, Operator: "kith admin"})
				if err != nil {
					return err
				}
				for _, r := range reports {
					e := r.Event
					fmt.Fprintf(stdout, "reported %s  event %s  patient %s (NHS %s)\n  %s %s by %s %s (%s, %s) basis %s outcome %s at %s\n",
						e.Report.At.Format(time.RFC3339), e.ID, e.PatientID, r.NHSNumber.Value(),
						e.Action, e.Route, e.Actor.Organisation, e.Actor.OrganisationName, e.Actor.PractitionerName,
						e.Actor.PractitionerRole, e.Basis, e.Outcome, e.At.Format(time.RFC3339))
					if e.Report.Note != "" {
						fmt.Fprintf(stdout, "  patient's note: %q\n", e.Report.Note)
					}
				}
				fmt.Fprintf(stdout, "%d reported accesses\n", len(reports))
				return nil
			})
		},
	}
}

func parkedAlertsCommand(env envconfig.Lookuper, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "parked-alerts",
		Short: "List push alerts that kept failing, newest first",
		Long: "An alert is parked after repeated failures to reach FCM: the patient was not told.\n" +
			"Check FCM's status and Kith's credentials, then look at each.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(cmd.Context(), env, func(a *app.App) error {
				parked, err := a.ParkedAlerts(cmd.Context(), identity.Principal{Kind: identity.KindOperator, Operator: "kith admin"})
				if err != nil {
					return err
				}
				for _, it := range parked {
					e := it.Event
					fmt.Fprintf(stdout, "parked  event %s  patient %s  %s by %s after %d attempts, at %s\n",
						e.ID, e.PatientID, e.Action, e.Actor.Kind, e.AlertAttempts, e.At.Format(time.RFC3339))
				}
				fmt.Fprintf(stdout, "%d parked alerts\n", len(parked))
				return nil
			})
		},
	}
}

func rebuildSummariesCommand(env envconfig.Lookuper, stdout io.Writer) *cobra.Command {
	var patientID string
	cmd := &cobra.Command{
		Use:   "rebuild-summaries",
		Short: "Read every entry's resource again with this version's rules",
		Long: "The summary is read from what each entry says of its resource (section, whether it\n" +
			"is current, allergy criticality, dose, result value...). This reads every live\n" +
			"entry again, for one patient (--patient) or all, and writes back each whose\n" +
			"reading changed: run it after an upgrade that improves the rules, or after\n" +
			"restoring entries written by an older version. Idempotent; safe beside traffic.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			patients, entries, changed := 0, 0, 0
			err := withApp(cmd.Context(), env, func(a *app.App) error {
				return a.RebuildSummaries(cmd.Context(), patientID, func(r app.RebuildReport) error {
					patients, entries, changed = patients+1, entries+r.Entries, changed+r.Changed
					fmt.Fprintf(stdout, "patient %s: %d entries, %d read anew\n", r.PatientID, r.Entries, r.Changed)
					return nil
				})
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%d patients, %d entries, %d read anew\n", patients, entries, changed)
			return nil
		},
	}
	cmd.Flags().StringVar(&patientID, "patient", "", "only this patient's record (an account id)")
	return cmd
}
