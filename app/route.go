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

type clientAddrKey struct{}

// WithClientAddr tells the use cases where a request came from, for throttling.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr is where the request came from, "" when unknown.
func ClientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}
