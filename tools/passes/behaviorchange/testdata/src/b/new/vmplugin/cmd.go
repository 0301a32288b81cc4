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
	if n < 1 || n > 512 {
		return fmt.Errorf("cpuNum %d: between 1 and 512", n)
	}
	return nil
}

// CheckName rejects an empty or overlong name.
func CheckName(s string) error {
	if s == "" || len(s) > 4096 {
		return errors.New("vmName: empty or over 4 KiB")
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
	if c.CPUNum > 256 {
		return fmt.Errorf("cpuNum %d: at most 256 in one socket", c.CPUNum)
	}
	*xml += fmt.Sprintf("<vcpu>%d</vcpu>", c.CPUNum)
	return nil
}

// Unused is called by nobody the overlay reaches.
func Unused() int { return 2 }
