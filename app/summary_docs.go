package app

import (
	"context"
	"log/slog"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/record"
)

// SummaryEncoder turns a summary into the bytes its readers are answered with. The
// adapter that answers them owns the format; the app only keeps the bytes.
type SummaryEncoder func(record.Summary) ([]byte, error)

// EncodedSummary is a summary as its encoder made it, and the Version it stands
// for ("" when it was made for this read alone).
type EncodedSummary struct {
	Doc     []byte
	Version string
}

// EncodedRecordSummary is RecordSummary as encode makes it, from the summary doc
// kept for the reader's scope when it was made at the record's mark now: a record
// read once since its last change is answered without reading its entries again,
// on any node and after a restart. The reading is decided and audited as every
// other: the access event is written before the doc is returned.
func (a *App) EncodedRecordSummary(ctx context.Context, caller identity.Principal, ref RecordRef, encode SummaryEncoder) (EncodedSummary, error) {
	r, err := a.openRead(ctx, caller, ref, "record.summary.read")
	if err != nil {
		return EncodedSummary{}, err
	}
	enc, err := a.encodedSummaryFor(ctx, r, encode)
	if err != nil {
		return EncodedSummary{}, err
	}
	if err := a.disclose(ctx, r, audit.Event{Action: "record.summary.read"}); err != nil {
		return EncodedSummary{}, err
	}
	return enc, nil
}

func (a *App) encodedSummaryFor(ctx context.Context, r *reading, encode SummaryEncoder) (EncodedSummary, error) {
	scope, kept := scopeOf(r, true)
	if kept {
		if enc, ok, err := a.keptSummaryDoc(ctx, r.ownerID, scope); err != nil || ok {
			return enc, err
		}
	}
	s, mark, err := a.summaryAt(ctx, r, true)
	if err != nil {
		return EncodedSummary{}, err
	}
	doc, err := encode(s)
	if err != nil {
		return EncodedSummary{}, err
	}
	if s.Version != "" {
		a.docs.Add(s.Version, doc)
		d := SummaryDoc{Slot: scope.slot(), Version: s.Version, Epoch: mark.Epoch, Doc: doc}
		if err := a.store.KeepSummaryDoc(ctx, r.ownerID, d); err != nil {
			// Only a shortcut is lost: the next read makes the doc again.
			slog.WarnContext(ctx, "summary doc not kept", "err", err)
		}
	}
	return EncodedSummary{Doc: doc, Version: s.Version}, nil
}

// keptSummaryDoc is the doc kept for scope, if it was made at the record's mark now.
func (a *App) keptSummaryDoc(ctx context.Context, patientID string, scope summaryScope) (EncodedSummary, bool, error) {
	mark, err := a.store.RecordMark(ctx, patientID)
	if err != nil || !mark.Settled {
		return EncodedSummary{}, false, err
	}
	version := versionAt(patientID, mark, scope)
	if doc, ok := a.docs.Get(version); ok {
		return EncodedSummary{Doc: doc, Version: version}, true, nil
	}
	d, err := a.store.SummaryDoc(ctx, patientID, scope.slot())
	if err != nil || d.Version != version {
		return EncodedSummary{}, false, err
	}
	a.docs.Add(version, d.Doc)
	return EncodedSummary{Doc: d.Doc, Version: version}, true, nil
}

// keptDocs is how many summary docs a node keeps in memory, in front of the
// store's (a primary-key read): a doc is the encoder's bytes, a few kilobytes
// compressed, tens for the longest records.
const keptDocs = 256

func newSummaryDocs() *lru.Cache[string, []byte] {
	c, err := lru.New[string, []byte](keptDocs)
	if err != nil {
		panic(err) // only for a size below one
	}
	return c
}

// forgetDocs lets the patient's docs and summaries kept in memory go.
func (a *App) forgetDocs(patientID string) {
	removePrefixed(patientID+"/", a.docs.Keys(), func(v string) { a.docs.Remove(v) })
	removePrefixed(patientID+"/", a.made.keys(), a.made.remove)
}

// removePrefixed removes each of keys that starts with prefix.
func removePrefixed(prefix string, keys []string, remove func(string)) {
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			remove(k)
		}
	}
}
