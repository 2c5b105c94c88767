package synthetic

import "math"

// chance is true with probability p.
func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// around is a normally distributed value, kept within [lo, hi] so that a rare
// draw cannot make a measurement impossible.
func (g *gen) around(mean, sd, lo, hi float64) float64 {
	return min(hi, max(lo, mean+sd*g.r.NormFloat64()))
}

// round rounds x to places decimal places, as a laboratory reports it.
func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// pick is one of xs, chosen uniformly.
func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }
