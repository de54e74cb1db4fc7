// Package gin is a stub of github.com/gin-gonic/gin@v1.10 with its exact signatures.
package gin

import "net/http"

type Context struct {
	Request *http.Request
}

func (c *Context) Query(key string) (value string)               { return "" }
func (c *Context) DefaultQuery(key, defaultValue string) string  { return "" }
func (c *Context) GetQuery(key string) (string, bool)            { return "", false }
func (c *Context) Param(key string) string                       { return "" }
func (c *Context) PostForm(key string) (value string)            { return "" }
func (c *Context) GetHeader(key string) string                   { return "" }
func (c *Context) QueryMap(key string) (dicts map[string]string) { return nil }
func (c *Context) ShouldBindJSON(obj any) error                  { return nil }
func (c *Context) ShouldBind(obj any) error                      { return nil }
func (c *Context) BindJSON(obj any) error                        { return nil }
func (c *Context) JSON(code int, obj any)                        {}
