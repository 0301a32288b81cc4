package declarative

import (
	"sync"
	"sync/atomic"

	"github.com/strataagent/strata/overlay/layer"
)

// Snapshot is one consistent configuration: a request takes one with
// Set.Current and runs its Layers throughout, so a reload never shows it
// half of each. Nothing in it is modified after it is published.
type Snapshot struct {
	// Layers is the whole order, Go layers with the declarative ones placed.
	Layers []layer.Layer
	// Entries are the declarative entries it was built from, validated.
	Entries []Entry
	// Generation counts successful loads, from 1.
	Generation uint64
}

// Set holds the current Snapshot behind an atomic pointer and swaps it on
// Reload (SIGHUP) only once the new entries have validated and placed.
type Set struct {
	goOrder []layer.Layer
	mu      sync.Mutex // serialises reloads, so generations never go back
	cur     atomic.Pointer[Snapshot]
}

// NewSet validates and places entries among goOrder (the Go layers'
// order list); it fails as Place does.
func NewSet(goOrder []layer.Layer, entries []Entry) (*Set, error) {
	s := &Set{goOrder: append([]layer.Layer(nil), goOrder...)}
	if err := s.Reload(entries); err != nil {
		return nil, err
	}
	return s, nil
}

// Current is the snapshot a request uses from start to end.
func (s *Set) Current() *Snapshot { return s.cur.Load() }

// Reload validates and places entries, then swaps them in. On error the
// current snapshot stays and the error says why (the caller logs it).
func (s *Set) Reload(entries []Entry) error {
	own := make([]Entry, len(entries))
	copy(own, entries)
	for i := range own {
		// Provision normalises in place: work on copies, not the caller's.
		own[i].Overrides = append([]string(nil), own[i].Overrides...)
		own[i].Ops = append([]Op(nil), own[i].Ops...)
		for j := range own[i].Ops {
			own[i].Ops[j].Match = append([]string(nil), own[i].Ops[j].Match...)
		}
	}
	layers, err := Place(s.goOrder, own)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var gen uint64 = 1
	if old := s.cur.Load(); old != nil {
		gen = old.Generation + 1
	}
	s.cur.Store(&Snapshot{Layers: layers, Entries: own, Generation: gen})
	return nil
}

// ReloadFile is Reload from the agent's YAML file, errors with file and line.
func (s *Set) ReloadFile(path string) error {
	entries, err := LoadFile(path)
	if err != nil {
		return err
	}
	if err := s.Reload(entries); err != nil {
		return Annotate(err, path)
	}
	return nil
}
