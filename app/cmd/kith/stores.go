package main

import (
	"context"
	"fmt"

	"github.com/kith-health/kith/adapters/mongo"
	"github.com/kith-health/kith/adapters/sqlite"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/config"
)

// schemaStore is a store that knows its schema steps.
type schemaStore interface {
	app.Store
	// Migrate applies pending steps and returns their versions.
	Migrate(ctx context.Context) ([]int, error)
	// CheckSchema fails unless the schema is exactly what this binary expects.
	CheckSchema(ctx context.Context) error
}

// openStore opens the configured store and checks it answers.
func openStore(ctx context.Context, cfg config.Config) (schemaStore, string, error) {
	switch cfg.StoreKind() {
	case config.StoreMongoDB:
		s, err := mongo.Open(ctx, cfg.MongoDBURI.Value(), cfg.MongoDBDatabase)
		if err != nil {
			return nil, "", fmt.Errorf("KITH_MONGODB_URI: %w", err)
		}
		pingCtx, cancel := context.WithTimeout(ctx, cfg.StartupTimeout)
		defer cancel()
		if err := s.Ping(pingCtx); err != nil {
			s.Close(context.Background())
			return nil, "", fmt.Errorf("MongoDB at KITH_MONGODB_URI did not answer within KITH_STARTUP_TIMEOUT=%s: %w", cfg.StartupTimeout, err)
		}
		return s, "MongoDB database " + cfg.MongoDBDatabase, nil
	default:
		s, err := sqlite.Open(ctx, cfg.DataDir)
		if err != nil {
			return nil, "", fmt.Errorf("KITH_DATA_DIR: %w", err)
		}
		return s, "SQLite in " + cfg.DataDir, nil
	}
}
