// Package alert models push alerts: the devices a patient's app registers, the
// patient's alert preferences, and how access events become a few short alerts
// that say who looked and never what they saw.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// StaleAfter is how long a device token lives without the app refreshing it: FCM
// drops tokens unused for 270 days, so Kith does too.
const StaleAfter = 270 * 24 * time.Hour

// Device is one installation of the app, as Firebase Cloud Messaging knows it.
// Token is a credential for pushing to the phone: it is never logged.
type Device struct {
	ID, PatientID string
	Token         string
	Platform      string // android, ios or web
	AppVersion    string
	Locale        string
	CreatedAt     time.Time
	RefreshedAt   time.Time
}

// DeviceID derives a device's id from its patient and token, so registering the
// same token again finds the same device.
func DeviceID(patientID, token string) string {
	sum := sha256.Sum256([]byte(patientID + "\x00" + token))
	return hex.EncodeToString(sum[:16])
}

// NewDevice checks a registration.
func NewDevice(patientID, token, platform, appVersion, locale string, now time.Time) (Device, error) {
	token = strings.TrimSpace(token)
	switch {
	case token == "" || len(token) > 4096:
		return Device{}, fault.Invalid("token", "required,max=4096")
	case platform != "android" && platform != "ios" && platform != "web":
		return Device{}, fault.Invalid("platform", "oneof=android ios web")
	case len(appVersion) > 50:
		return Device{}, fault.Invalid("appVersion", "max=50")
	case len(locale) > 35:
		return Device{}, fault.Invalid("locale", "max=35")
	}
	now = now.UTC().Truncate(time.Millisecond)
	return Device{ID: DeviceID(patientID, token), PatientID: patientID, Token: token, Platform: platform,
		AppVersion: appVersion, Locale: locale, CreatedAt: now, RefreshedAt: now}, nil
}

// String keeps the token out of any log a device is printed to.
func (d Device) String() string { return "device " + d.ID + " (" + d.Platform + ")" }
