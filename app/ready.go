package app

import "context"

// Ready reports whether Kith can serve requests: its store answers.
func (a *App) Ready(ctx context.Context) error { return a.store.Ping(ctx) }
