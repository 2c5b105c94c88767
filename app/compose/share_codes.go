package compose

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kith-health/kith/adapters/httpapi"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/config"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/sharecode"
)

// shareCodeSettings reads the share code key from KITH_SHARE_CODE_KEY or, in
// development, from a key file it makes once in the data directory, so codes
// survive a restart of the embedded default.
func shareCodeSettings(cfg config.Config) (app.ShareCodeSettings, error) {
	s := app.ShareCodeSettings{AttemptLimit: cfg.ShareAttemptLimit, AttemptWindow: cfg.ShareAttemptWindow}
	if key := cfg.ShareCodeKey.Value(); key != "" {
		raw, err := base64.StdEncoding.DecodeString(key)
		s.Secret = raw
		return s, err
	}
	if cfg.Mode == config.Production {
		return s, errors.New("KITH_SHARE_CODE_KEY: not set")
	}
	path := filepath.Join(cfg.DataDir, "share-code.key")
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return s, err
		}
		err = os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(app.NewShareCodeSecret())), 0o600)
		if err != nil {
			return s, fmt.Errorf("development share code key: %w", err)
		}
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return s, fmt.Errorf("development share code key: %w", err)
	}
	s.Secret, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	return s, err
}

// viewerSessions routes share-code viewer tokens to the app's sessions and every
// other bearer token (JWTs) to the identity verifiers.
type viewerSessions struct {
	tokens httpapi.TokenVerifier
	app    *app.App
}

func (v viewerSessions) Verify(ctx context.Context, token string) (identity.Principal, error) {
	if strings.HasPrefix(token, sharecode.TokenPrefix) {
		return v.app.VerifyViewerToken(ctx, token)
	}
	return v.tokens.Verify(ctx, token)
}
