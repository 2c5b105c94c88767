package app

import "context"

type routeKey struct{}

// WithRoute tells the use cases which route a request came by (its template, such
// as "GET /v1/me/record/summary"), for the access log.
func WithRoute(ctx context.Context, route string) context.Context {
	return context.WithValue(ctx, routeKey{}, route)
}

func routeFrom(ctx context.Context) string {
	r, _ := ctx.Value(routeKey{}).(string)
	return r
}
