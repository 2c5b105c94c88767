package sharecode_test

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/domain/sharecode"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestCodesAreTypableAndForgiving(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$`)
	seen := map[sharecode.Code]bool{}
	for i := 0; i < 1000; i++ {
		c := sharecode.Generate()
		if !shape.MatchString(c.String()) || seen[c] {
			t.Fatalf("code %q is malformed or repeated", c)
		}
		seen[c] = true
		if back, ok := sharecode.Parse(c.String()); !ok || back != c {
			t.Fatalf("Parse(%q) = %q, %v", c.String(), back, ok)
		}
	}
	for typed, want := range map[string]string{
		"7k3m-9p2q-x8": "7K3M9P2QX8", " 7K3M 9P2Q X8 ": "7K3M9P2QX8", "oILm-9p2q-x8": "011M9P2QX8",
	} {
		if got, ok := sharecode.Parse(typed); !ok || string(got) != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", typed, got, ok, want)
		}
	}
	for _, bad := range []string{"", "7K3M-9P2Q", "7K3M-9P2Q-X8Y", "7K3M-9P2Q-XU", "7K3M-9P2Q-X!"} {
		if _, ok := sharecode.Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	c := sharecode.Code("7K3M9P2QX8")
	once, again := c.Hash([]byte("one secret")), sharecode.Code("7K3M9P2QX8").Hash([]byte("one secret"))
	if once != again || once == c.Hash([]byte("another secret")) || len(once) != 64 {
		t.Error("the hash should be keyed and stable")
	}
}

func TestNewShareCodeChecksTheRequest(t *testing.T) {
	ok := sharecode.Request{ID: "c", PatientID: "p", Hash: "h", Label: " For the A&E registrar ",
		Categories: []record.Category{record.Medications, record.Allergies}, MaxViews: 3}
	c, err := sharecode.New(ok, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Label != "For the A&E registrar" || !c.ExpiresAt.Equal(now.Add(24*time.Hour)) || c.Categories[0] != record.Allergies ||
		c.StatusAt(now) != sharecode.StatusActive || c.IncludeSensitive {
		t.Fatalf("code = %+v", c)
	}
	for name, edit := range map[string]func(*sharecode.Request){
		"under five minutes": func(r *sharecode.Request) { r.Lifetime = 4 * time.Minute },
		"over thirty days":   func(r *sharecode.Request) { r.Lifetime = 31 * 24 * time.Hour },
		"no categories":      func(r *sharecode.Request) { r.Categories = nil },
		"unknown category":   func(r *sharecode.Request) { r.Categories = []record.Category{"all"} },
		"negative views":     func(r *sharecode.Request) { r.MaxViews = -1 },
	} {
		r := ok
		edit(&r)
		if _, err := sharecode.New(r, now); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	c.Views = 3
	if c.StatusAt(now) != sharecode.StatusUsedUp || c.Permission().StatusAt(now) != "active" {
		t.Error("a used-up code still covers the sessions it opened")
	}
	if c.StatusAt(c.ExpiresAt) != sharecode.StatusExpired {
		t.Error("a code ends at its expiry")
	}
	c.Revoke(now)
	if c.StatusAt(now) != sharecode.StatusRevoked || c.Permission().StatusAt(now) != "revoked" {
		t.Error("revocation ends the code and its sessions")
	}
}

func TestASessionEndsWithItsCode(t *testing.T) {
	c, _ := sharecode.New(sharecode.Request{ID: "c", PatientID: "p", Hash: "h", Categories: []record.Category{record.Allergies},
		Lifetime: 5 * time.Minute}, now)
	s := sharecode.Open("s", "th", c, sharecode.Viewer{Name: "Dr A", Role: "Registrar"}, "", now)
	if !s.ExpiresAt.Equal(c.ExpiresAt) || !s.LiveAt(now) || s.LiveAt(c.ExpiresAt) {
		t.Fatalf("session = %+v", s)
	}
	token, hash := sharecode.NewToken()
	if sharecode.TokenHash(token) != hash || len(token) < 40 {
		t.Fatalf("token %q", token)
	}
	if _, err := (sharecode.Viewer{Name: "Dr A"}).Check(); !errors.Is(err, fault.ErrInvalid) {
		t.Error("a viewer needs a role")
	}
}
