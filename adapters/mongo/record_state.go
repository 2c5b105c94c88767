package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// recordStateCollection is named in migrations/mongo too.
const recordStateCollection = "record_state"

// Without transactions, a write takes its ChangeSeq in one operation and stores its
// entry in another, so for a moment a number is taken but its entry not yet visible;
// a feed that passed over it then would never return it. So the write also registers
// itself in pending, in the same atomic update that hands out the number, and removes
// itself once its entry is stored (or its write failed). The feed trusts missing
// numbers (entries written again since, or erased) only while nothing is pending.
//
// A writer that dies leaves its mark behind; marks older than inFlightFor are taken
// as dead, so the feed is held up by at most that long. It must cover a write's time
// between taking its number and storing its entry, and the clock skew between nodes.
const (
	inFlightFor = 5 * time.Second
	// staleAfter is when a writer clears a dead mark it comes across.
	staleAfter = time.Minute
	// releaseWait bounds removing a mark once the caller's context may have ended.
	releaseWait = 5 * time.Second
)

// recordStateRecord is a patient's record_state document. LastSeq is the last number
// handed out; Epoch moves on when the record is erased; Pending maps each in-flight
// write's token to when it took its number. The document outlives an erasure, so
// numbers keep rising and an old device cursor never matches new changes.
type recordStateRecord struct {
	PatientID string                   `bson:"_id"`
	LastSeq   int64                    `bson:"last_seq"`
	Epoch     int64                    `bson:"epoch"`
	Pending   map[string]bson.DateTime `bson:"pending,omitempty"`
}

// writing reports whether a write may still be storing a taken number at now.
func (r recordStateRecord) writing(now time.Time) bool {
	for _, at := range r.Pending {
		if now.Sub(at.Time()) < inFlightFor {
			return true
		}
	}
	return false
}

func (s *Store) recordStateColl() *mongo.Collection {
	return s.db.Collection(recordStateCollection)
}

// recordState reads the patient's state; a patient without a record has the zero one.
func (s *Store) recordState(ctx context.Context, patientID string) (recordStateRecord, error) {
	var r recordStateRecord
	err := s.recordStateColl().FindOne(ctx, bson.D{{Key: "_id", Value: patientID}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return recordStateRecord{PatientID: patientID}, nil
	}
	return r, err
}

// takeChangeSeq hands out the patient's next ChangeSeq and registers the caller as
// writing it, as of now; release must be called once the entry is stored or the
// write has failed.
func (s *Store) takeChangeSeq(ctx context.Context, patientID string, now time.Time) (seq int64, release func(), err error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, nil, err
	}
	mark := "pending.w" + hex.EncodeToString(b[:])
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "last_seq", Value: int64(1)}}},
		{Key: "$set", Value: bson.D{{Key: mark, Value: bson.NewDateTimeFromTime(now)}}},
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var r recordStateRecord
	err = s.recordStateColl().FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: patientID}}, update, opts).Decode(&r)
	if mongo.IsDuplicateKeyError(err) {
		// Two first writes raced to create the document; now it exists, so this updates.
		err = s.recordStateColl().FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: patientID}}, update, opts).Decode(&r)
	}
	if err != nil {
		return 0, nil, err
	}
	unset := bson.D{{Key: mark, Value: ""}}
	for token, at := range r.Pending {
		if now.Sub(at.Time()) > staleAfter {
			unset = append(unset, bson.E{Key: "pending." + token, Value: ""})
		}
	}
	release = func() {
		// Even when the caller has gone: a mark left behind holds the feed up.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseWait)
		defer cancel()
		// A failure only holds the feed up until the mark is taken as dead, and the
		// write is over either way, so its caller is not told.
		_, _ = s.recordStateColl().UpdateOne(ctx, bson.D{{Key: "_id", Value: patientID}}, bson.D{{Key: "$unset", Value: unset}})
	}
	return r.LastSeq, release, nil
}
