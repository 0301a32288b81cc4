// Package up is the fixture's stock side.
package up

// Channels is how many channels the stock domain has: the release adds one.
func Channels() int { return 3 }

// Name is the stock name a golden holds: the release renames it.
func Name() string { return "stock-b" }
