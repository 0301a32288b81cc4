package vmplugin

import (
	"errors"
	"fmt"
)

// StartVmCmd is the stock start command.
type StartVmCmd struct {
	CPUNum int
	Name   string
}

// Validate rejects a command before anything is built.
func (c *StartVmCmd) Validate() error {
	if err := checkCPUs(c.CPUNum); err != nil {
		return err
	}
	return CheckName(c.Name)
}

func checkCPUs(n int) error {
	if n < 1 {
		return fmt.Errorf("cpuNum %d: at least 1", n)
	}
	return nil
}

// CheckName rejects an empty name.
func CheckName(s string) error {
	if s == "" {
		return errors.New("vmName: empty")
	}
	return nil
}

// Step is one builder step.
type Step struct {
	Name string
	Make func(*StartVmCmd, *string) error
}

var steps = []Step{{"make_cpu", makeCPU}}

// Build runs the steps.
func Build(c *StartVmCmd) (string, error) {
	var xml string
	for _, s := range steps {
		if err := s.Make(c, &xml); err != nil {
			return "", fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return xml, nil
}

func makeCPU(c *StartVmCmd, xml *string) error {
	*xml += fmt.Sprintf("<vcpu>%d</vcpu>", c.CPUNum)
	return nil
}

// Unused is called by nobody the overlay reaches.
func Unused() int { return 1 }
