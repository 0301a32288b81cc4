package agent

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
}
