package declarative

import (
	"errors"
	"fmt"

	"github.com/beevik/etree"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
)

// OpSelection says whether one op selected anything over a corpus of start
// commands, for `strata-agent layers --corpus DIR`, which warns for every
// op with Selected == 0 (a match that fits no VM the management node sends).
type OpSelection struct {
	Entry   string // the entry's name
	Index   int    // the entry's index among those given
	Op      int    // the op's index in the entry
	Key     string // "layers.declarative[1].ops[0]"
	Summary string // the op as the layer's Doc shows it
	// Commands counts the commands the entry's VM selector picks, and
	// Selected those where the op selected (or added) something.
	Commands int
	Selected int
}

// Coverage runs each validated entry's ops on the stock domain of each
// command its VM selector picks (stock builds it; the agent passes its
// offline build) and counts, per op, the commands where it selected
// something. Each entry runs alone on the stock domain, its ops in order,
// without the Go layers or other entries. An entry not validated is an
// error naming it.
func Coverage(entries []Entry, cmds []*excmd.StartVmExCmd, stock func(*excmd.StartVmExCmd) (*libvirtxml.Domain, error)) ([]OpSelection, error) {
	var out []OpSelection
	first := make([]int, len(entries)) // each entry's first row in out
	for i := range entries {
		e := &entries[i]
		if e.ready == nil {
			return nil, entryError(i, e.Name, errors.New("not validated"))
		}
		first[i] = len(out)
		for j, o := range e.Ops {
			out = append(out, OpSelection{Entry: e.Name, Index: i, Op: j, Key: fmt.Sprintf("%s[%d].ops[%d]", ConfigKey, i, j), Summary: o.summary()})
		}
	}
	for _, cmd := range cmds {
		var x string
		for i := range entries {
			c := entries[i].ready
			if !c.vm.matches(cmd) {
				continue
			}
			if x == "" {
				d, err := stock(cmd)
				if err != nil {
					return nil, fmt.Errorf("corpus command %q: %w", cmd.VMName, err)
				}
				if x, err = d.Marshal(); err != nil {
					return nil, fmt.Errorf("corpus command %q: marshal: %w", cmd.VMName, err)
				}
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromString(x); err != nil {
				return nil, fmt.Errorf("corpus command %q: %w", cmd.VMName, err)
			}
			for j, op := range c.ops {
				row := &out[first[i]+j]
				if j == 0 {
					out[first[i]].Commands++
				} else {
					row.Commands = out[first[i]].Commands
				}
				if op.apply(doc.Root()) > 0 {
					row.Selected++
				}
			}
		}
	}
	return out, nil
}
