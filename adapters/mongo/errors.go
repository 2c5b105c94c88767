package mongo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/kith-health/kith/domain/fault"
)

// translate turns driver errors into fault kinds; op names the operation for the log.
// The message never carries the server's own text for a server error: MongoDB quotes
// the offending key values there ("dup key: { subject: ... }"), and those are personal
// data. The driver error stays in the chain for errors.As.
func translate(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return fmt.Errorf("%s: %w", op, fault.ErrNotFound)
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("%s: %w: %w", op, redacted{err}, fault.ErrConflict)
	case unavailable(err):
		return fmt.Errorf("%s: %w: %w", op, redacted{err}, fault.ErrUnavailable)
	default:
		return fmt.Errorf("%s: %w", op, redacted{err})
	}
}

// unavailableCodes are server answers that mean "not now" rather than "not so": the
// node is stepping down, shutting down or cannot reach its peers. The driver has
// already retried retryable operations once when one of these reaches us.
var unavailableCodes = []int{
	6,     // HostUnreachable
	7,     // HostNotFound
	50,    // MaxTimeMSExpired
	89,    // NetworkTimeout
	91,    // ShutdownInProgress
	189,   // PrimarySteppedDown
	262,   // ExceededTimeLimit
	9001,  // SocketException
	10107, // NotWritablePrimary
	11600, // InterruptedAtShutdown
	11602, // InterruptedDueToReplStateChange
	13435, // NotPrimaryNoSecondaryOk
	13436, // NotPrimaryOrSecondary
}

// unavailable reports whether err means the database could not be reached or did not
// answer in time, so the caller should try again later rather than give up.
func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, mongo.ErrClientDisconnected) ||
		mongo.IsTimeout(err) || mongo.IsNetworkError(err) {
		return true
	}
	if errors.As(err, &topology.ServerSelectionError{}) || errors.As(err, &topology.ConnectionError{}) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		for _, code := range unavailableCodes {
			if se.HasErrorCode(code) {
				return true
			}
		}
	}
	return false
}

// redacted carries a driver error but prints only what cannot hold document contents:
// codes for server errors, the driver's own text for client-side ones (network,
// server selection, timeouts, encoding), which name hosts and types, never values.
type redacted struct{ err error }

func (r redacted) Error() string {
	var ce mongo.CommandError
	if errors.As(r.err, &ce) && ce.Code != 0 {
		return fmt.Sprintf("server error %d (%s)", ce.Code, ce.Name)
	}
	var se mongo.ServerError
	if errors.As(r.err, &se) {
		var codes []string
		for _, c := range se.ErrorCodes() {
			if c != 0 {
				codes = append(codes, fmt.Sprint(c))
			}
		}
		if len(codes) > 0 {
			return "server error " + strings.Join(codes, ", ")
		}
	}
	return r.err.Error()
}

func (r redacted) Unwrap() error { return r.err }
