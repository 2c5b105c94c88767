// Package web serves the clinician's share-code viewer: server-rendered pages that
// work without JavaScript, on a hospital PC, in ninety seconds. Every read goes
// through the same use cases (and so the same access decision and audit) as the API.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"strings"
	"time"
	_ "time/tzdata" // the viewer shows UK times wherever Kith runs

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/viewer.css
var stylesheet []byte

// cookieName holds the viewer session token; it is scoped to /view.
const cookieName = "kith_view"

// contentSecurityPolicy allows the page its own stylesheet and nothing else: no
// scripts, no third-party assets, no framing, forms only to Kith.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// Viewer is the share-code viewer.
type Viewer struct {
	app    *app.App
	pages  map[string]*template.Template
	secure bool
	zone   *time.Location
	log    *slog.Logger
	// rendered keeps recent summaries' sections as rendered, by summary Version.
	rendered *lru.Cache[string, template.HTML]
}

// renderedSummaries bounds rendered keeps (a page's sections are tens of KB).
const renderedSummaries = 128

// New builds the viewer. secure marks its cookie Secure (Kith served over https).
func New(a *app.App, secure bool, log *slog.Logger) (*Viewer, error) {
	zone, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, err
	}
	rendered, err := lru.New[string, template.HTML](renderedSummaries)
	if err != nil {
		return nil, err
	}
	v := &Viewer{app: a, pages: map[string]*template.Template{}, secure: secure, zone: zone, log: log, rendered: rendered}
	for _, name := range []string{"enter", "record", "section", "ended"} {
		t, err := template.ParseFS(templateFiles, "templates/layout.html", "templates/entries.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		v.pages[name] = t
	}
	return v, nil
}

// Register adds the viewer's routes under /view.
func (v *Viewer) Register(r fiber.Router) {
	r.Get("/view/static/viewer.css", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Send(stylesheet)
	})
	r.Get("/view", v.pageHeaders, v.enter)
	r.Post("/view", v.pageHeaders, v.redeem)
	r.Get("/view/record", v.pageHeaders, v.record)
	// The segment names a section (see Viewer.section); the pattern keeps the name
	// it had when it named a category, so route tables and access logs stay as they were.
	r.Get("/view/record/:category", v.pageHeaders, v.section)
	r.Post("/view/finish", v.pageHeaders, v.finish)
}

// pageHeaders: nothing personal is cached, framed or leaked through a referrer.
func (v *Viewer) pageHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return c.Next()
}

func (v *Viewer) render(c *fiber.Ctx, status int, page string, data any) error {
	var b strings.Builder
	if err := v.pages[page].ExecuteTemplate(&b, "layout", data); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).SendString(b.String())
}

// context is the request's context as the use cases expect it: the route (for the
// access log) and the client address (for throttling). Fiber's strings point into
// buffers reused after the request, so they are cloned.
func (v *Viewer) context(c *fiber.Ctx) context.Context {
	ctx := app.WithRoute(c.UserContext(), strings.Clone(c.Method()+" "+c.Route().Path))
	return app.WithClientAddr(ctx, strings.Clone(c.IP()))
}

// session is the viewer behind the request's cookie. ok is false when a page
// answering the problem has been rendered instead.
func (v *Viewer) session(c *fiber.Ctx) (identity.Principal, bool, error) {
	token := c.Cookies(cookieName)
	if token == "" {
		return identity.Principal{}, false, c.Redirect("/view", fiber.StatusSeeOther)
	}
	p, err := v.app.VerifyViewerToken(v.context(c), token)
	if err == nil {
		return p, true, nil
	}
	v.clearCookie(c)
	if errors.Is(err, fault.ErrUnauthenticated) {
		return p, false, v.ended(c, "Your session has ended",
			"Viewing sessions last 15 minutes, or end when you press Finish. To look again, enter a share code; the patient may need to give you a new one.")
	}
	return p, false, v.unavailable(c, err)
}

func (v *Viewer) ended(c *fiber.Ctx, title, message string) error {
	return v.render(c, fiber.StatusUnauthorized, "ended", map[string]string{"Title": title, "Message": message})
}

func (v *Viewer) unavailable(c *fiber.Ctx, err error) error {
	v.log.ErrorContext(c.UserContext(), "viewer page failed", "error", err)
	c.Set(fiber.HeaderRetryAfter, "30")
	return v.render(c, fiber.StatusServiceUnavailable, "ended", map[string]string{"Title": "Kith cannot show records just now",
		"Message": "Nothing was shown. Please try again in a minute."})
}

func (v *Viewer) setCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: cookieName, Value: token, Path: "/view", Expires: expires, HTTPOnly: true,
		Secure: v.secure, SameSite: fiber.CookieSameSiteStrictMode})
}

func (v *Viewer) clearCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: cookieName, Value: "", Path: "/view", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, Secure: v.secure, SameSite: fiber.CookieSameSiteStrictMode})
}
