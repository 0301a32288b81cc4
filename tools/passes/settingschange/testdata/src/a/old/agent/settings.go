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
	{"vm.arch", "arch", "x86_64", "architecture"},
	{"callback.retries", "callback-retries", 15, "retries"},
	{"callback.timeout", "callback-timeout", 120 * time.Second, "timeout"},
	{"log.level", "log-level", "info", "level"},
}
