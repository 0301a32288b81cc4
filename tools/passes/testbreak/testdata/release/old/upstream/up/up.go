// Package up is the fixture's stock side.
package up

// Channels is how many channels the stock domain has.
func Channels() int { return 2 }

// Name is the stock name a golden holds.
func Name() string { return "stock-a" }

// Legacy is what the new release removes.
func Legacy() int { return 1 }
