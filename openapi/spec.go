// Package openapi embeds openapi.yaml, the mobile API's source of truth, so the
// server can publish it and tests can check the routes against it.
package openapi

import _ "embed"

// YAML is the OpenAPI document as written.
//
//go:embed openapi.yaml
var YAML []byte
