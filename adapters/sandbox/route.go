package sandbox

import (
	"net/http"
	"strings"
)

// route finds the handler for a request under the prefix. It routes by hand
// because Patient/{id}, {Type}/_history and {Type}/{id} overlap in ways
// http.ServeMux refuses to register.
func (s *Sandbox) route(r *http.Request) response {
	rest, ok := strings.CutPrefix(r.URL.Path, s.prefix)
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		return notFound("no such route")
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	method := func(want string, h func() response) response {
		if r.Method != want {
			resp := outcome(http.StatusMethodNotAllowed, "not-supported", "use "+want)
			resp.header.Set("Allow", want)
			return resp
		}
		return h()
	}

	// Discovery and the token endpoint are open: a client reads them before it has
	// a token.
	switch strings.Join(segs, "/") {
	case "metadata":
		return method(http.MethodGet, func() response { return s.capability(r) })
	case ".well-known/smart-configuration":
		return method(http.MethodGet, func() response { return s.smartConfiguration(r) })
	case "token":
		return method(http.MethodPost, func() response { return s.token(r) })
	}

	if len(segs) < 1 || len(segs) > 3 || !s.servesType(segs[0]) {
		return notFound("no such route: the resource types served are in " + s.prefix + "/metadata")
	}
	typ := segs[0]
	var h func(grant) response
	switch {
	case len(segs) == 1:
		h = func(g grant) response { return s.search(r, typ, g) }
	case len(segs) == 2 && segs[1] == "_history":
		h = func(g grant) response { return s.history(r, typ, g) }
	case len(segs) == 2:
		h = func(g grant) response { return s.read(r, typ, segs[1], g) }
	case len(segs) == 3 && typ == "Patient" && segs[2] == "$everything":
		h = func(g grant) response { return s.everything(r, segs[1], g) }
	default:
		return notFound("no such route")
	}
	g, fail := s.authorize(r)
	if fail != nil {
		return *fail
	}
	return method(http.MethodGet, func() response { return h(g) })
}
