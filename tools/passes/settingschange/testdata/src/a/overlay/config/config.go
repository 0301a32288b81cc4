package config

import (
	"github.com/knadh/koanf/v2"

	"github.com/strataagent/strata/upstream/agent"
)

// Settings are the overlay's own keys.
var Settings = []agent.Setting{
	{Key: "layers.uefi.nvram_dir", Flag: "nvram-dir", Default: "/var/lib/strata/nvram", Help: "nvram"}, // want "settings-change: upstream now defines settings key layers.uefi.nvram_dir"
	{Key: "layers.qemu_args.allow", Flag: "qemu-args-allow", Default: []string{}, Help: "allow"},
}

// Read reads stock and own keys.
func Read(k *koanf.Koanf) (string, int, string, string) {
	arch := k.String("vm.arch")
	retries := k.Int("callback.retries") // want "settings-change: settings key callback.retries, which the overlay reads, changed type from int to string"
	level := k.String("log.level")       // want "settings-change: settings key log.level, which the overlay reads, is no longer defined"
	return arch, retries, level, k.String("layers.qemu_args.allow")
}
