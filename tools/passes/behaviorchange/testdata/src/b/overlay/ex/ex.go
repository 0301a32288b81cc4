package ex

import "github.com/strataagent/strata/upstream/vmplugin"

// Start validates the stock command, then builds it.
func Start(c *vmplugin.StartVmCmd) (string, error) {
	if err := c.Validate(); err != nil { // want "behavior-change: the body of upstream/vmplugin.checkCPUs, which the overlay reaches through upstream/vmplugin.\\(\\*StartVmCmd\\).Validate → upstream/vmplugin.checkCPUs, changed"
		return "", err
	}
	return vmplugin.Build(c)
}

// Rename checks a new name itself: CheckName is a direct call, reported as
// one and not again through Validate.
func Rename(c *vmplugin.StartVmCmd, name string) error {
	if err := vmplugin.CheckName(name); err != nil { // want "behavior-change: the body of upstream/vmplugin.CheckName, which the overlay calls, changed"
		return err
	}
	c.Name = name
	return c.Validate()
}
