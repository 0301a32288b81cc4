package declarative

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/beevik/etree"

	"github.com/strataagent/strata/overlay/layer"
)

// Layer returns the entry as a patch layer. The entry must have passed
// Provision and Validate (Load and Place see to it); otherwise the layer's
// Apply reports that instead of editing anything.
func (e *Entry) Layer() layer.Layer {
	c, name := e.ready, e.Name
	l := layer.Layer{
		Name:      e.Name,
		Doc:       e.doc(),
		Reads:     e.reads(),
		Overrides: append([]string(nil), e.Overrides...),
	}
	if c == nil {
		l.Apply = func(*layer.Context) error {
			return fmt.Errorf("declarative layer %q was not validated", name)
		}
		return l
	}
	seen := map[string]bool{}
	for _, op := range c.ops {
		for _, w := range op.writes {
			if !seen[w] {
				seen[w] = true
				l.Writes = append(l.Writes, w)
			}
		}
	}
	sort.Strings(l.Writes)
	l.Applies = func(ctx *layer.Context) bool { return c.vm.matches(ctx.Cmd) }
	l.Apply = func(ctx *layer.Context) error {
		if ctx.Domain == nil {
			return errors.New("no domain to edit")
		}
		nd, err := applyOps(ctx.Domain, c.ops)
		if err != nil {
			return fmt.Errorf("config layers.declarative %q: %w", name, err)
		}
		*ctx.Domain = *nd
		return nil
	}
	return l
}

// doc is the layer's Doc: the operator's summary, then the ops as written.
func (e *Entry) doc() string {
	var b strings.Builder
	if e.Doc != "" {
		b.WriteString(e.Doc)
	} else {
		fmt.Fprintf(&b, "Declarative layer %q from the agent's config.", e.Name)
	}
	b.WriteString("\n\nSelects VMs by")
	if e.Select.UUID != "" {
		fmt.Fprintf(&b, " uuid=%s", e.Select.UUID)
	}
	if e.Select.Name != "" {
		fmt.Fprintf(&b, " name~%s", e.Select.Name)
	}
	if e.Select.Tag != "" {
		fmt.Fprintf(&b, " tag %s", e.Select.Tag)
	}
	b.WriteString(".")
	for i, o := range e.Ops {
		fmt.Fprintf(&b, "\nops[%d]: %s", i, o.summary())
	}
	return b.String()
}

func (o *Op) summary() string {
	pick := "first"
	switch {
	case o.All:
		pick = "all"
	case o.Nth > 0:
		pick = fmt.Sprintf("nth %d", o.Nth)
	}
	if len(o.Match) > 0 {
		pick += " matching " + strings.Join(o.Match, ",")
	}
	what := "not validated"
	if o.ready != nil {
		what = o.ready.op.summary()
	}
	if o.Require {
		pick += ", required"
	}
	return fmt.Sprintf("%s %s (%s)", what, o.Path, pick)
}

// reads: the config entry itself, and the ex tag the selector reads.
func (e *Entry) reads() []string {
	r := []string{"config:layers.declarative[name=" + e.Name + "]"}
	if k, _, ok := strings.Cut(e.Select.Tag, "="); ok {
		r = append(r, "ex.tags."+k)
	}
	return r
}

// fragmentWrites lists every attribute and element of a fragment under p.
func fragmentWrites(e *etree.Element, p string, w []string) []string {
	for _, a := range e.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		w = append(w, p+"/@"+a.FullKey())
	}
	for _, ch := range e.ChildElements() {
		cp := p + "/" + ch.FullTag()
		w = append(w, cp)
		w = fragmentWrites(ch, cp, w)
	}
	return w
}
