// Package echo is a stub of github.com/labstack/echo/v4 with its exact signatures.
package echo

import (
	"net/http"
	"net/url"
)

type Context interface {
	Request() *http.Request
	Param(name string) string
	QueryParam(name string) string
	QueryParams() url.Values
	FormValue(name string) string
	Bind(i interface{}) error
	JSON(code int, i interface{}) error
}
