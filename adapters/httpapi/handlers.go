package httpapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
)

// handlers implements the generated strict server interface; each method binds, makes
// one app call and maps the result.
type handlers struct {
	app       *app.App
	devIssuer DevIssuer
	keys      KeyPublisher
	inbox     PushInbox
	log       *slog.Logger
	now       func() time.Time
	shared    sharedAnswers
}

var _ api.StrictServerInterface = (*handlers)(nil)

// readinessTimeout keeps /readyz quick when the store hangs: an orchestrator's probe
// wants an answer, not a stuck connection.
const readinessTimeout = 2 * time.Second

func (h *handlers) GetHealth(context.Context, api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{Status: "ok"}, nil
}

func (h *handlers) GetReadiness(ctx context.Context, _ api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, readinessTimeout)
	defer cancel()
	if err := h.app.Ready(ctx); err != nil {
		return nil, err
	}
	return api.GetReadiness200JSONResponse{Status: "ok"}, nil
}
