package sandbox

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// search answers GET {Type}: the patient's resources of the type (every patient
// for Patient), paged.
func (s *Sandbox) search(r *http.Request, typ string, g grant) response {
	if !g.allows(typ, true) {
		return forbidden(typ)
	}
	c, first, fail := openCursor(r, "search", typ, "", func(v url.Values) (query, error) { return parseSearch(typ, v) })
	if fail != nil {
		return *fail
	}
	s.mu.RLock()
	if first {
		s.snapshot(&c)
	}
	var matches []*resource
	if typ == "Patient" {
		matches = s.patientsMatching(c.Q, c.Seq)
	} else if p, ok := s.st.byID[c.Q.Patient]; ok {
		matches = s.st.compartment(p, typ, c.Seq, c.Q.keep)
	}
	s.mu.RUnlock()
	return s.searchset(r, c, matches, typ)
}

// patientsMatching is the Patient search. The caller holds s.mu.
func (s *Sandbox) patientsMatching(q query, seq uint64) []*resource {
	var out []*resource
	for _, p := range s.st.patients {
		res := s.st.byRef["Patient/"+p.id]
		if !res.liveAt(seq) || (q.ID != "" && q.ID != p.id) || (q.Ident != nil && !q.Ident.matches(p.identifiers)) {
			continue
		}
		out = append(out, res)
	}
	slices.SortFunc(out, func(a, b *resource) int {
		return cmp.Or(a.updated.Compare(b.updated), strings.Compare(a.id, b.id))
	})
	return out
}

// everything answers GET Patient/{id}/$everything: the compartment in one paged
// list, limited to what the token's scopes cover.
func (s *Sandbox) everything(r *http.Request, patientID string, g grant) response {
	c, first, fail := openCursor(r, "everything", "Patient", patientID, parseEverything(patientID))
	if fail != nil {
		return *fail
	}
	s.mu.RLock()
	p, ok := s.st.byID[patientID]
	if !ok {
		s.mu.RUnlock()
		return notFound("no Patient " + patientID)
	}
	if first {
		s.snapshot(&c)
	}
	matches := s.st.compartment(p, "", c.Seq, func(res *resource) bool {
		return c.Q.keep(res) && g.allows(res.typ, true) && (len(c.Q.Types) == 0 || slices.Contains(c.Q.Types, res.typ))
	})
	s.mu.RUnlock()
	return s.searchset(r, c, matches, "Patient/"+patientID+"/$everything")
}

func (s *Sandbox) searchset(r *http.Request, c cursor, matches []*resource, path string) response {
	from, to, next := s.pageOf(r, c, len(matches), path)
	entries := make([]entryOut, 0, to-from)
	for _, res := range matches[from:to] {
		entries = append(entries, entryOut{FullURL: s.fullURL(r, res), Resource: res.body, Search: &searchOut{Mode: "match"}})
	}
	return s.bundle(r, "searchset", c, len(matches), entries, next)
}

// history answers GET {Type}/_history?patient=: what changed in the patient's
// resources of the type since _since, deletions included, newest first.
func (s *Sandbox) history(r *http.Request, typ string, g grant) response {
	if !g.allows(typ, true) {
		return forbidden(typ)
	}
	c, first, fail := openCursor(r, "history", typ, "", parseHistory(typ))
	if fail != nil {
		return *fail
	}
	s.mu.RLock()
	if first {
		s.snapshot(&c)
	}
	var events []event
	if p, ok := s.st.byID[c.Q.Patient]; ok {
		events = s.st.history(p, typ, c.Seq, c.Q.Since)
	}
	s.mu.RUnlock()

	from, to, next := s.pageOf(r, c, len(events), typ+"/_history")
	entries := make([]entryOut, 0, to-from)
	for _, e := range events[from:to] {
		out := entryOut{FullURL: s.fullURL(r, e.r)}
		if e.deleted {
			out.Request = &requestOut{Method: http.MethodDelete, URL: e.r.ref()}
			out.Response = &responseOut{Status: "204 No Content", LastModified: formatInstant(e.at)}
		} else {
			out.Resource = e.r.body
			out.Request = &requestOut{Method: http.MethodPost, URL: e.r.typ}
			out.Response = &responseOut{Status: "201 Created", LastModified: formatInstant(e.at)}
		}
		entries = append(entries, out)
	}
	return s.bundle(r, "history", c, len(events), entries, next)
}

// read answers GET {Type}/{id}.
func (s *Sandbox) read(r *http.Request, typ, id string, g grant) response {
	if !g.allows(typ, false) {
		return forbidden(typ)
	}
	if r.URL.RawQuery != "" {
		return badRequest("read takes no parameters")
	}
	s.mu.RLock()
	res, ok := s.st.byRef[typ+"/"+id]
	gone := ok && res.delSeq != 0
	s.mu.RUnlock()
	switch {
	case !ok:
		return notFound("no " + typ + "/" + id)
	case gone:
		return outcome(http.StatusGone, "deleted", typ+"/"+id+" was deleted")
	}
	resp := response{status: http.StatusOK, header: http.Header{"Content-Type": {fhirContentType}}, body: res.body}
	resp.header.Set("Last-Modified", res.updated.Format(http.TimeFormat))
	return resp
}
