package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// The migration lock is one document in schema_migrations, taken with a single
// conditional write (insert it, or take it over once its lease has run out) so that
// two nodes never apply a step at once. The holder renews the lease while it works; a
// holder that dies leaves a lock that expires by itself. Expiry uses the nodes' clocks,
// so the lease is long compared with any plausible clock skew.
const (
	lockID            = "lock"
	migrationLease    = time.Minute
	lockRenewInterval = migrationLease / 3
	lockPollInterval  = 200 * time.Millisecond
	lockReleaseWait   = 5 * time.Second
)

type lockRecord struct {
	ID        string        `bson:"_id"`
	Owner     string        `bson:"owner"`
	ExpiresAt bson.DateTime `bson:"expires_at"`
}

// lockMigrations waits until this node holds the migration lock, or ctx ends. The
// returned context ends if the lease is lost, so a node that was presumed dead stops
// migrating; release gives the lock up.
func (s *Store) lockMigrations(ctx context.Context) (context.Context, func() error, error) {
	owner, err := lockOwner()
	if err != nil {
		return nil, nil, err
	}
	for {
		ok, err := s.tryLock(ctx, owner)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return nil, nil, translate("another node holds the migration lock: wait for it", ctx.Err())
		case <-time.After(lockPollInterval):
		}
	}

	held, lost := context.WithCancelCause(ctx)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s.renewLock(held, owner, lost, done)
	}()
	release := func() error {
		close(done)
		<-stopped
		lost(nil)
		// Give the lock up even when the caller's context has ended, or the next
		// migration waits out the lease.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockReleaseWait)
		defer cancel()
		_, err := s.migrations.DeleteOne(rctx, bson.D{{Key: "_id", Value: lockID}, {Key: "owner", Value: owner}})
		return translate("release migration lock", err)
	}
	return held, release, nil
}

// tryLock takes the lock if nobody holds it or the holder's lease has run out.
func (s *Store) tryLock(ctx context.Context, owner string) (bool, error) {
	now := time.Now()
	expires := bson.NewDateTimeFromTime(now.Add(migrationLease))
	_, err := s.migrations.InsertOne(ctx, lockRecord{ID: lockID, Owner: owner, ExpiresAt: expires})
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, translate("take migration lock", err)
	}
	res, err := s.migrations.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: lockID}, {Key: "expires_at", Value: bson.D{{Key: "$lt", Value: bson.NewDateTimeFromTime(now)}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "owner", Value: owner}, {Key: "expires_at", Value: expires}}}})
	if err != nil {
		return false, translate("take over expired migration lock", err)
	}
	return res.MatchedCount == 1, nil
}

// renewLock extends the lease until done closes, and cancels the migration through
// lost if the lock turns out to belong to someone else.
func (s *Store) renewLock(ctx context.Context, owner string, lost context.CancelCauseFunc, done <-chan struct{}) {
	tick := time.NewTicker(lockRenewInterval)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		res, err := s.migrations.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: lockID}, {Key: "owner", Value: owner}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "expires_at", Value: bson.NewDateTimeFromTime(time.Now().Add(migrationLease))}}}})
		// A failed renewal is retried on the next tick: the lease outlasts two of them.
		if err == nil && res.MatchedCount == 0 {
			lost(fmt.Errorf("lost the migration lock (lease of %s ran out): %w", migrationLease, context.Canceled))
			return
		}
	}
}

// lockOwner names this process in the lock, so an operator looking at a stuck lock
// can tell which node holds it.
func lockOwner() (string, error) {
	host, _ := os.Hostname()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:])), nil
}
