package synthetic

import (
	"hash/fnv"
	"strconv"

	"github.com/google/uuid"
)

// idSpace is the UUID namespace of synthetic resource ids, itself named from the
// identifier system, so ids from this generator never collide with another
// generator's name-based UUIDs.
var idSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte(sysSynthetic))

// resourceID names the n-th resource of a record: a name-based (version 5) UUID of
// the seed, the NHS number and n. The same inputs name the same resources, so a
// re-ingested record replaces itself; two patients' records never share an id.
func resourceID(seed int64, nhsNumber string, n int) string {
	name := make([]byte, 0, 48)
	name = strconv.AppendInt(name, seed, 10)
	name = append(name, '/')
	name = append(name, nhsNumber...)
	name = append(name, '/')
	name = strconv.AppendInt(name, int64(n), 10)
	return uuid.NewSHA1(idSpace, name).String()
}

// personStream is the second half of the random generator's state: the hash of
// the NHS number, so one seed gives every person a different record.
func personStream(nhsNumber string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(nhsNumber))
	return h.Sum64()
}
