package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/exchange"
)

// typeDoc is how one TypeSupport is stored in exchanges.types, a JSON array.
type typeDoc struct {
	ResourceType string `json:"resourceType"`
	LastUpdated  bool   `json:"lastUpdated,omitempty"`
	PatientParam string `json:"patientParam,omitempty"`
	MaxCount     int    `json:"maxCount,omitempty"`
	History      bool   `json:"history,omitempty"`
}

// exchangeColumns are the exchanges columns in the order exchangeRow scans them.
const exchangeColumns = `id, name, base_url, client_id, token_url, scopes, key_file, page_size,
	rate_per_second, concurrency, types, everything, status, created_at, updated_at, version`

// exchangeArgs are x's column values in exchangeColumns order.
func exchangeArgs(x exchange.Exchange) ([]any, error) {
	scopes, err := json.Marshal(nonNil(x.Client.Scopes))
	if err != nil {
		return nil, err
	}
	types := make([]typeDoc, 0, len(x.Types))
	for _, t := range x.Types {
		types = append(types, typeDoc{ResourceType: t.ResourceType, LastUpdated: t.LastUpdated,
			PatientParam: t.PatientParam, MaxCount: t.MaxCount, History: t.History})
	}
	typesJSON, err := json.Marshal(types)
	if err != nil {
		return nil, err
	}
	return []any{x.ID, x.Name, x.BaseURL, x.Client.ID, x.Client.TokenURL, string(scopes), x.Client.KeyFile,
		x.PageSize, x.RatePerSecond, x.Concurrency, string(typesJSON), x.Everything, string(x.Status),
		x.CreatedAt.UnixMilli(), x.UpdatedAt.UnixMilli(), x.Version}, nil
}

// scanExchange reads one row of exchangeColumns.
func scanExchange(row interface{ Scan(...any) error }) (exchange.Exchange, error) {
	var x exchange.Exchange
	var status string
	var scopes, types []byte
	var created, updated int64
	if err := row.Scan(&x.ID, &x.Name, &x.BaseURL, &x.Client.ID, &x.Client.TokenURL, &scopes, &x.Client.KeyFile,
		&x.PageSize, &x.RatePerSecond, &x.Concurrency, &types, &x.Everything, &status,
		&created, &updated, &x.Version); err != nil {
		return exchange.Exchange{}, err
	}
	if err := json.Unmarshal(scopes, &x.Client.Scopes); err != nil {
		return exchange.Exchange{}, fmt.Errorf("stored scopes: %w", err)
	}
	if len(x.Client.Scopes) == 0 {
		x.Client.Scopes = nil
	}
	var docs []typeDoc
	if err := json.Unmarshal(types, &docs); err != nil {
		return exchange.Exchange{}, fmt.Errorf("stored types: %w", err)
	}
	for _, d := range docs {
		x.Types = append(x.Types, exchange.TypeSupport{ResourceType: d.ResourceType, LastUpdated: d.LastUpdated,
			PatientParam: d.PatientParam, MaxCount: d.MaxCount, History: d.History})
	}
	x.Status = exchange.Status(status)
	x.CreatedAt, x.UpdatedAt = fromMilli(created), fromMilli(updated)
	return x, nil
}

// CreateExchange implements app.ExchangeStore; the id primary key turns a second
// registration into ErrConflict.
func (s *Store) CreateExchange(ctx context.Context, x exchange.Exchange) error {
	args, err := exchangeArgs(x)
	if err != nil {
		return fmt.Errorf("create exchange: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO exchanges (`+exchangeColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	return translate("create exchange", err)
}

// Exchange implements app.ExchangeStore.
func (s *Store) Exchange(ctx context.Context, id string) (exchange.Exchange, error) {
	x, err := scanExchange(s.queryRow(ctx, `SELECT `+exchangeColumns+` FROM exchanges WHERE id = ?`, id))
	return x, translate("read exchange", err)
}

// Exchanges implements app.ExchangeStore. There are few enough to read in one go.
func (s *Store) Exchanges(ctx context.Context) ([]exchange.Exchange, error) {
	rows, err := s.query(ctx, `SELECT `+exchangeColumns+` FROM exchanges ORDER BY id`)
	if err != nil {
		return nil, translate("list exchanges", err)
	}
	defer rows.Close()
	var out []exchange.Exchange
	for rows.Next() {
		x, err := scanExchange(rows)
		if err != nil {
			return nil, translate("list exchanges", err)
		}
		out = append(out, x)
	}
	return out, translate("list exchanges", rows.Err())
}

// UpdateExchange implements app.ExchangeStore with compare-and-set on the version.
func (s *Store) UpdateExchange(ctx context.Context, id string, update func(*exchange.Exchange) error) (exchange.Exchange, error) {
	read := func() (exchange.Exchange, int64, error) {
		x, err := s.Exchange(ctx, id)
		return x, x.Version, err
	}
	write := func(x *exchange.Exchange, seen int64) (bool, error) {
		x.ID, x.Version = id, seen+1
		normaliseExchange(x) // hand back what a read would: times at the stored precision
		args, err := exchangeArgs(*x)
		if err != nil {
			return false, fmt.Errorf("update exchange: %w", err)
		}
		res, err := s.w.ExecContext(ctx, `UPDATE exchanges SET name = ?, base_url = ?, client_id = ?, token_url = ?,
			scopes = ?, key_file = ?, page_size = ?, rate_per_second = ?, concurrency = ?, types = ?, everything = ?,
			status = ?, created_at = ?, updated_at = ?, version = ?
			WHERE id = ? AND version = ?`, append(args[1:], id, seen)...)
		if err != nil {
			return false, translate("update exchange", err)
		}
		n, err := res.RowsAffected()
		return n == 1, translate("update exchange", err)
	}
	return cas.Update(read, update, write)
}

// normaliseExchange makes x what reading it back gives.
func normaliseExchange(x *exchange.Exchange) {
	x.CreatedAt, x.UpdatedAt = utcMilli(x.CreatedAt), utcMilli(x.UpdatedAt)
	if len(x.Client.Scopes) == 0 {
		x.Client.Scopes = nil
	}
	if len(x.Types) == 0 {
		x.Types = nil
	}
}

// utcMilli is t as the store keeps it: UTC, whole milliseconds, zero kept zero.
func utcMilli(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return fromMilli(t.UnixMilli())
}

// nullMilli is t in Unix milliseconds for a nullable column: NULL when t is zero.
func nullMilli(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromNullMilli reads a nullable time column: NULL is the zero time.
func fromNullMilli(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMilli(n.Int64)
}

// nonNil stores an absent list as [], so the JSON column never holds null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
