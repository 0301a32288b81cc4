package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/strataagent/strata/upstream/vmplugin"
)

// renderHost is the offline host with render's two overrides: a fixed image
// format (--image-format raw|qcow2) and the configured default emulator.
type renderHost struct {
	vmplugin.OfflineHost
	format   string
	emulator string
}

func (h renderHost) ImageFormat(ctx context.Context, path string) (string, error) {
	if h.format != "" {
		return h.format, nil
	}
	return h.OfflineHost.ImageFormat(ctx, path)
}

func (h renderHost) QemuPath() (string, error) {
	if h.emulator != "" {
		return h.emulator, nil
	}
	return h.OfflineHost.QemuPath()
}

// Render prints the domain XML of a StartVmCmd (args: one FILE, "-" or
// none for stdin) without touching libvirt or the host (no secrets,
// directories or iscsi logins). imageFormat is auto, raw or qcow2.
func Render(cfg Config, args []string, imageFormat string, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 1 {
		return fmt.Errorf("takes at most one file, got %d", len(args))
	}
	in := stdin
	name := "standard input"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return fmt.Errorf("open command: %w", err)
		}
		defer f.Close()
		in, name = f, args[0]
	}
	data, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	cmd := &vmplugin.StartVmCmd{}
	if err := json.Unmarshal(data, cmd); err != nil {
		return fmt.Errorf("malformed StartVmCmd JSON in %s: %w", name, err)
	}
	if err := cmd.Validate(); err != nil {
		return err
	}
	host := renderHost{emulator: cfg.Emulator}
	switch imageFormat {
	case "auto":
	case "raw", "qcow2":
		host.format = imageFormat
	default:
		return fmt.Errorf("--image-format: %q is not auto, raw or qcow2", imageFormat)
	}
	dom, err := vmplugin.Build(context.Background(), cmd, vmplugin.Config{DomainType: cfg.DomainType, Arch: cfg.Arch}, host)
	if err != nil {
		return err
	}
	x, err := vmplugin.MarshalDomain(dom)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, x)
	return err
}
