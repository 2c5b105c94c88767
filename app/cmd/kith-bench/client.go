package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// client calls the kith server while seeding: JSON in and out, bearer tokens, and
// anything but 2xx as an error carrying the problem body.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	// The largest synthetic records take seconds to ingest.
	return &client{base: base, http: &http.Client{Timeout: 5 * time.Minute}}
}

// call sends body (JSON-encoded unless it is already []byte) and decodes the answer
// into out when out is not nil; it returns the raw answer too.
func (c *client) call(ctx context.Context, method, path, token string, header http.Header, body, out any) ([]byte, error) {
	var in io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		in = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		in = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, in)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if in != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode < 200 || res.StatusCode >= 300 {
		return raw, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, clip(string(raw), 500))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return raw, nil
}
