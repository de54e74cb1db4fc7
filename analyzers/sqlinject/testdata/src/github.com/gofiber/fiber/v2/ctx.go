// Package fiber is a stub of github.com/gofiber/fiber/v2 with its exact signatures.
package fiber

type Ctx struct{}

func (c *Ctx) Query(key string, defaultValue ...string) string     { return "" }
func (c *Ctx) Params(key string, defaultValue ...string) string    { return "" }
func (c *Ctx) FormValue(key string, defaultValue ...string) string { return "" }
func (c *Ctx) Get(key string, defaultValue ...string) string       { return "" }
func (c *Ctx) BodyParser(out interface{}) error                    { return nil }
func (c *Ctx) Body() []byte                                        { return nil }
