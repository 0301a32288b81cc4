//go:build race

package e2e

// raceEnabled: the race detector changes the heap it measures (and runs 10x slower).
const raceEnabled = true
