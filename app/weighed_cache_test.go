package app

import (
	"fmt"
	"testing"
)

// The cache is Kith's own bound on memory: what it keeps must weigh no more
// than its limit, the newest always kept, and a replaced value must not count
// twice.
func TestAWeighedCacheKeepsTheNewestWithinItsWeight(t *testing.T) {
	c := newWeighedCache(10, 100, func(n int) int { return n })
	for i := range 8 {
		c.add(fmt.Sprint(i), 30)
	}
	if got := c.keys(); len(got) != 3 || got[2] != "7" {
		t.Fatalf("kept %v, want the newest three (90 of 100)", got)
	}
	c.add("7", 60) // replaces its 30: 30+30+60 is over, so the oldest goes
	if got := c.keys(); len(got) != 2 || c.held != 90 {
		t.Fatalf("kept %v weighing %d, want 2 weighing 90", got, c.held)
	}
	c.add("big", 500)
	if got := c.keys(); len(got) != 1 || got[0] != "big" {
		t.Fatalf("kept %v, want only the newest, however heavy", got)
	}
	c.remove("big")
	if _, ok := c.get("big"); ok || c.held != 0 {
		t.Fatalf("after remove: held %d", c.held)
	}
}
