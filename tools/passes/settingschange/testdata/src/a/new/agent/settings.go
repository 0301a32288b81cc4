package agent

import "time"

// Setting is one configuration key.
type Setting struct {
	Key     string
	Flag    string
	Default any
	Help    string
}

// Settings is the stock table.
var Settings = []Setting{
	{Key: "vm.arch", Flag: "arch", Default: "x86_64", Help: "architecture (keyed now)"},
	{"callback.retries", "callback-retries", "15", "retries"},
	{"callback.timeout", "callback-timeout", 120 * time.Second, "timeout"},
	{"layers.uefi.nvram_dir", "nvram-dir", "/var/lib/strata/nvram", "per-VM UEFI variable stores"},
	{"tasks.workers", "workers", 10, "workers"},
}
