// Package mongotest gives tests a MongoDB to talk to: a real one when
// KITH_TEST_MONGODB_URI is set, otherwise an in-process FerretDB, so the MongoDB store
// is tested on every run with nothing installed.
package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// EnvURI names the variable that points the tests at a real MongoDB.
const EnvURI = "KITH_TEST_MONGODB_URI"

// ferretNew serialises ferretdb.New, which writes package-level state (the version
// info) and would otherwise race when parallel tests each start a server.
var ferretNew sync.Mutex

// URI returns the address of a MongoDB for t and says which backend it is, for the
// test log. Without KITH_TEST_MONGODB_URI it starts a FerretDB of t's own, keeping its
// data in t's temporary directory, and stops it when t ends.
func URI(t testing.TB) (uri string, backend string) {
	t.Helper()
	if uri := os.Getenv(EnvURI); uri != "" {
		return uri, "MongoDB at " + EnvURI
	}
	ferretNew.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + t.TempDir() + "/",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ferretNew.Unlock()
	if err != nil {
		t.Fatalf("start FerretDB: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = f.Run(ctx) // always nil; it returns once ctx ends and everything is closed
	}()
	// Registered after t.TempDir's own clean-up, so it runs first: the server closes its
	// SQLite files before the directory goes.
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
	// MongoDBURI's doc warns it may deadlock before Run; in v1.24 New itself binds the
	// listener (clientconn.Listen), so the address is known and connections queue in the
	// kernel's backlog until Run's accept loop takes them.
	//
	// maxPoolSize=1: FerretDB v1 carries out an update as a query followed by a write
	// by _id alone (handler/common.UpdateDocument, sqlite UpdateAll), so two
	// conditional updates arriving on two connections can both match the same version
	// and the second silently overwrites the first. MongoDB applies the filter and the
	// write atomically per document. FerretDB answers one connection's commands in
	// order, so one connection per client restores that atomicity while goroutines
	// still interleave their reads and writes, and the store's compare-and-set retries
	// are exercised as they would be on MongoDB.
	return f.MongoDBURI() + "?maxPoolSize=1", "FerretDB v1 (in-process, SQLite handler)"
}

// Database returns a database name no other test uses. On a real MongoDB the
// database is dropped when t ends; a FerretDB's data goes with its directory.
func Database(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "kith_test_" + hex.EncodeToString(b[:])
	if uri := os.Getenv(EnvURI); uri != "" {
		t.Cleanup(func() { drop(t, uri, name) })
	}
	return name
}

func drop(t testing.TB, uri, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Errorf("drop test database %s: %v", name, err)
		return
	}
	defer client.Disconnect(ctx)
	if err := client.Database(name).Drop(ctx); err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}
