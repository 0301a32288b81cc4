package declarative

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/beevik/etree"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/layer"
)

// generation is a config whose two layers, placed apart in the order, write
// the same generation number into two places of the domain.
func generation(g int) []Entry {
	v := fmt.Sprintf("g%d", g)
	return []Entry{
		{Name: "keymap", Before: "uefi", Select: VMSelector{Name: "*"}, Ops: []Op{{Path: "devices/graphics", Set: map[string]string{"keymap": v}}}},
		{Name: "title", After: "nic-multiqueue", Select: VMSelector{Name: "*"}, Ops: []Op{{Path: "title", Set: map[string]string{"#text": v}}}},
	}
}

func TestSetReload(t *testing.T) {
	s, err := NewSet(goOrder, generation(1))
	if err != nil {
		t.Fatal(err)
	}
	first := s.Current()
	if first.Generation != 1 || len(first.Layers) != 6 {
		t.Fatalf("snapshot = gen %d, %q", first.Generation, names(first.Layers))
	}
	bad := generation(2)
	bad[1].After = "nosuch"
	if err := s.Reload(bad); err == nil {
		t.Fatal("invalid reload accepted")
	}
	if s.Current() != first {
		t.Fatal("an invalid reload replaced the snapshot")
	}
	if err := s.Reload(generation(2)); err != nil {
		t.Fatal(err)
	}
	if got := s.Current(); got.Generation != 2 || got == first {
		t.Fatalf("after reload: gen %d", got.Generation)
	}
	if err := s.ReloadFile("testdata/bad_match.yaml"); err == nil || s.Current().Generation != 2 {
		t.Fatalf("bad file: %v, gen %d", err, s.Current().Generation)
	}
	// agent.yaml anchors on Go layers goOrder has: it loads.
	if err := s.ReloadFile("testdata/agent.yaml"); err != nil || s.Current().Generation != 3 {
		t.Fatalf("agent.yaml: %v, gen %d", err, s.Current().Generation)
	}
}

// TestSetConcurrent: requests running while configs are reloaded, valid and
// not, each see one generation throughout. Run it with -race.
func TestSetConcurrent(t *testing.T) {
	s, err := NewSet(goOrder, generation(1))
	if err != nil {
		t.Fatal(err)
	}
	cmd := stockCmd(t, "mn_example_a")
	stock, err := stockDomain(t, cmd).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var requests atomic.Int64
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				snap := s.Current()
				d := &libvirtxml.Domain{}
				if err := d.Unmarshal(stock); err != nil {
					errs <- err
					return
				}
				c := &layer.Context{Ctx: context.Background(), Cmd: cmd, Domain: d}
				for _, l := range snap.Layers {
					if l.Apply == nil || (l.Applies != nil && !l.Applies(c)) {
						continue
					}
					if err := l.Apply(c); err != nil {
						errs <- err
						return
					}
				}
				x, _ := d.Marshal()
				doc := etree.NewDocument()
				if err := doc.ReadFromString(x); err != nil {
					errs <- err
					return
				}
				km := doc.Root().FindElement("devices/graphics").SelectAttrValue("keymap", "")
				title := doc.Root().FindElement("title").Text()
				if want := fmt.Sprintf("g%d", snap.Generation); km != want || title != want {
					errs <- fmt.Errorf("snapshot gen %d: keymap %q, title %q", snap.Generation, km, title)
					return
				}
				requests.Add(1)
			}
		}()
	}
	gen := 1
	for i := 0; i < 60; i++ {
		if i%3 == 2 {
			bad := generation(gen + 1)
			bad[0].Ops[0].Path = "devices/grahpics"
			if err := s.Reload(bad); err == nil {
				t.Error("invalid config accepted")
			}
			continue
		}
		gen++
		if err := s.Reload(generation(gen)); err != nil {
			t.Fatal(err)
		}
	}
	for requests.Load() < 20 && len(errs) == 0 {
		// let the readers make progress on a slow machine
		runtime.Gosched()
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Generations count successful loads only: the invalid ones left no trace.
	if got := s.Current().Generation; got != uint64(gen) {
		t.Errorf("final generation %d, want %d", got, gen)
	}
}
