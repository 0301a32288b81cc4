package linux

import "fmt"

// MaxInterfaceNameLen is the kernel's IFNAMSIZ (16) minus the trailing NUL.
const MaxInterfaceNameLen = 15

// ValidateInterfaceName checks a network device name before it reaches a
// command line or a /sys path. It is stricter than the kernel: only letters,
// digits, '.', '_' and '-' are allowed, so no name can carry a path, an
// option or a shell metacharacter.
func ValidateInterfaceName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty")
	case len(name) > MaxInterfaceNameLen:
		return fmt.Errorf("longer than %d characters", MaxInterfaceNameLen)
	case name == "." || name == "..":
		return fmt.Errorf("reserved name")
	case name[0] == '-':
		return fmt.Errorf("starts with '-'")
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("character %q is not allowed", c)
		}
	}
	return nil
}

// checkName validates name and names the argument it came in as.
func checkName(arg, name string) error {
	if err := ValidateInterfaceName(name); err != nil {
		return fmt.Errorf("invalid %s %q: %w", arg, name, err)
	}
	return nil
}
