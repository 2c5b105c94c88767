package app

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// weighedCache keeps at most maxItems values, least recently used going first,
// and lets them go too while what it holds weighs more than maxWeight, always
// keeping the newest. Weighing by entries held, not values, bounds memory
// whatever records are read: one long record weighs as much as fifty short ones.
type weighedCache[V any] struct {
	// mu orders adds and removals, so held (what the kept values weigh) stays
	// true: the cache calls back on every value it lets go, within them.
	mu        sync.Mutex
	values    *lru.Cache[string, V]
	weigh     func(V) int
	held      int
	maxWeight int
}

func newWeighedCache[V any](maxItems, maxWeight int, weigh func(V) int) *weighedCache[V] {
	c := &weighedCache[V]{weigh: weigh, maxWeight: maxWeight}
	values, err := lru.NewWithEvict(maxItems, func(_ string, v V) { c.held -= c.weigh(v) })
	if err != nil {
		panic(err) // only for a size below one
	}
	c.values = values
	return c
}

// get is the value kept under key, if any.
func (c *weighedCache[V]) get(key string) (V, bool) { return c.values.Get(key) }

// add keeps v under key, in place of any before.
func (c *weighedCache[V]) add(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values.Remove(key)
	c.values.Add(key, v)
	c.held += c.weigh(v)
	for c.held > c.maxWeight && c.values.Len() > 1 {
		c.values.RemoveOldest()
	}
}

// remove lets key's value go.
func (c *weighedCache[V]) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values.Remove(key)
}

// keys lists the keys kept, oldest first.
func (c *weighedCache[V]) keys() []string { return c.values.Keys() }
