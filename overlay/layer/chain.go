package layer

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/strataagent/strata/overlay/provenance"
	"github.com/strataagent/strata/upstream/vmplugin"
)

// Conflict policies for Config.ConflictPolicy.
const (
	PolicyFail = "fail" // a request-time conflict fails the request (the default)
	PolicyWarn = "warn" // it is logged, recorded in Result.Conflicts, and the chain goes on
)

// Conflict is two layers writing one path without the later declaring
// overrides: [earlier]. At request time Path is the recorded path both
// wrote (or the element the second removed under the first's write); at
// config load Path and OtherPath are the overlapping declared writes.
type Conflict struct {
	First, Second string // layer names, in chain order
	Path          string
	OtherPath     string // config load only, when it differs from Path
}

// Error uses containerd NRI's wording (pkg/api/owners.go).
func (c Conflict) Error() string {
	if c.OtherPath != "" {
		// a config-load overlap: name the narrower path, which both may write
		inner := c.Path
		if len(c.OtherPath) > len(inner) {
			inner = c.OtherPath
		}
		return fmt.Sprintf("layers %q and %q both write %s (declared %s and %s)", c.First, c.Second, inner, c.Path, c.OtherPath)
	}
	return fmt.Sprintf("layers %q and %q both wrote %s", c.First, c.Second, c.Path)
}

// Result is what a chain run did, for the request and for render --explain.
type Result struct {
	StockXML  string // the domain before the first layer (vmplugin.MarshalDomain)
	FinalXML  string // after the last
	Applied   []string
	Changes   []Change   // in the order made; OverrodeLayer marks acknowledged wins
	Conflicts []Conflict // request-time conflicts let through by policy warn
	// Undeclared are changes outside their layer's declared Writes, let
	// through by policy warn (under fail they fail the request).
	Undeclared []Change
}

// Error wraps a layer's failure as "layer/<name>: <cause>", like CoreDNS's plugin.Error.
func Error(name string, err error) error { return fmt.Errorf("layer/%s: %w", name, err) }

// Run applies layers in order to ctx.Domain, skipping those with nothing to
// do, and records per layer what changed. Each layer's writes are recorded
// on the part of the domain it declares (provenance.ScopeOf its Writes):
// a typed copy of that part is taken before it and compared with the
// domain after it, so a chain costs about the copies and what changed. ctx.FullDiff adds a
// diff of the whole domain per layer, which also catches a write outside
// the declared part. A layer error, a conflict or an undeclared write (the
// last two under policy fail) stops the chain; the Domain is then partly
// changed and must not be defined.
func Run(ctx *Context, layers []Layer) (Result, error) {
	var res Result
	if ctx == nil || ctx.Domain == nil {
		return res, errors.New("layer chain: no domain")
	}
	policy := ctx.Config.ConflictPolicy
	if policy == "" {
		policy = PolicyFail
	}
	if policy != PolicyFail && policy != PolicyWarn {
		return res, fmt.Errorf("layer chain: conflict policy %q: want %q or %q", policy, PolicyFail, PolicyWarn)
	}
	stock := ctx.StockXML
	if stock == "" && ctx.KeepStock {
		var err error
		if stock, err = vmplugin.MarshalDomain(ctx.Domain); err != nil {
			return res, fmt.Errorf("layer chain: %w", err)
		}
	}
	if ctx.KeepStock {
		res.StockXML = stock
	}

	// Sized by the blocks the command brings (a few changes each): growing
	// them from nothing was a tenth of a rich chain's allocations.
	size := 8
	if ctx.Cmd != nil {
		size += 4 * len(ctx.Cmd.Blocks)
	}
	res.Changes = make([]Change, 0, size)
	owner := make(map[string]string, size)
	owned := make([]string, 0, size) // paths in owner, in the order first written
	var whole *provenance.Tree
	for _, l := range layers {
		if ctx.Ctx != nil {
			if err := ctx.Ctx.Err(); err != nil {
				return res, Error(l.Name, err)
			}
		}
		if !l.applies(ctx) {
			continue
		}
		mark := len(res.Changes)
		all, next, err := record(ctx, l, whole, res.Changes)
		if err != nil {
			return res, Error(l.Name, err)
		}
		whole = next
		res.Applied = append(res.Applied, l.Name)
		// The layer's changes were appended in place; each is checked in
		// turn, and a refused one leaves only those before it in res.
		for i := mark; i < len(all); i++ {
			ch := &all[i]
			ch.Layer = l.Name
			res.Changes = all[:i]
			if !declares(l, *ch) {
				if policy == PolicyFail {
					return res, Error(l.Name, fmt.Errorf("wrote %s, which is not among its declared writes", ch.Path))
				}
				res.Undeclared = append(res.Undeclared, *ch)
				ctx.warn("layer wrote an undeclared path", "layer", l.Name, "path", ch.Path)
			}
			for _, c := range conflictsOf(l, *ch, owner, owned) {
				if slices.Contains(l.Overrides, c.First) {
					if c.Path == ch.Path {
						ch.OverrodeLayer = c.First
					}
					continue
				}
				if policy == PolicyFail {
					return res, Error(l.Name, c)
				}
				res.Conflicts = append(res.Conflicts, c)
				ctx.warn("layer conflict", "first", c.First, "second", c.Second, "path", c.Path)
			}
			if _, ok := owner[ch.Path]; !ok {
				owned = append(owned, ch.Path)
			}
			owner[ch.Path] = l.Name
		}
		res.Changes = all
	}
	if len(res.Applied) == 0 && stock != "" {
		res.FinalXML = stock
		return res, nil
	}
	var err error
	if res.FinalXML, err = vmplugin.MarshalDomain(ctx.Domain); err != nil {
		return res, fmt.Errorf("layer chain: %w", err)
	}
	return res, nil
}

// record applies l and returns what it changed in the part of the domain
// its Writes declare: a typed copy of that part is taken before the layer
// and compared with the domain after it (provenance.Take), so the cost is
// the copy and the changed elements, not a marshal and parse of the part
// twice. With ctx.FullDiff it also diffs the whole domain's XML (whole is
// the snapshot after the previous layer, nil at first): what the layer
// changed outside that part is added (its declarations then refuse it),
// and the typed record must agree with the XML diff inside the part. It
// returns the new whole snapshot.
func record(ctx *Context, l Layer, whole *provenance.Tree, dst []Change) ([]Change, *provenance.Tree, error) {
	if l.Records {
		return recorded(ctx, l, whole, dst)
	}
	scope := provenance.ScopeOf(l.Writes)
	before, err := provenance.Take(ctx.Domain, scope)
	if err != nil {
		return dst, nil, err
	}
	defer before.Release()
	if ctx.FullDiff && whole == nil {
		if whole, err = provenance.Snapshot(ctx.Domain); err != nil {
			return dst, nil, err
		}
	}
	if err := l.Apply(ctx); err != nil {
		return dst, nil, err
	}
	mark := len(dst)
	out, err := before.AppendChanges(dst, ctx.Domain, ctx.Explain || ctx.FullDiff)
	if err != nil {
		return dst, nil, err
	}
	if !ctx.FullDiff {
		return out, nil, nil
	}
	changes := out[mark:]
	wholeAfter, err := provenance.Snapshot(ctx.Domain)
	if err != nil {
		return dst, nil, err
	}
	all := provenance.Diff(whole, wholeAfter)
	seen := make(map[Change]int, len(changes))
	for _, ch := range changes {
		seen[ch]++
	}
	var outside []Change
	for _, ch := range all {
		if seen[ch] > 0 {
			seen[ch]--
			continue
		}
		if scope.Contains(ch.Declared()) {
			return dst, nil, fmt.Errorf("provenance: the whole domain shows %s %s, which the typed record of the declared part missed", ch.Op, ch.Path)
		}
		outside = append(outside, ch)
	}
	for ch, n := range seen {
		if n > 0 {
			return dst, nil, fmt.Errorf("provenance: the declared part recorded %s %s, which the whole domain does not show", ch.Op, ch.Path)
		}
	}
	return append(out, outside...), wholeAfter, nil
}

// recorded applies l, which reports its own changes (Layer.Records). With
// ctx.FullDiff the whole domain's diff must show exactly those, in order.
func recorded(ctx *Context, l Layer, whole *provenance.Tree, dst []Change) ([]Change, *provenance.Tree, error) {
	var err error
	if ctx.FullDiff && whole == nil {
		if whole, err = provenance.Snapshot(ctx.Domain); err != nil {
			return dst, nil, err
		}
	}
	mark := len(dst)
	ctx.rec = provenance.NewRec(dst, ctx.Explain || ctx.FullDiff)
	err = l.Apply(ctx)
	out, recErr := ctx.rec.Changes()
	ctx.rec = nil
	if err != nil {
		return dst, nil, err
	}
	if recErr != nil {
		return dst, nil, recErr
	}
	if !ctx.FullDiff {
		return out, nil, nil
	}
	wholeAfter, err := provenance.Snapshot(ctx.Domain)
	if err != nil {
		return dst, nil, err
	}
	if err := sameChanges(out[mark:], provenance.Diff(whole, wholeAfter)); err != nil {
		return dst, nil, err
	}
	return out, wholeAfter, nil
}

// sameChanges checks a layer's reported changes against the whole
// domain's diff: the same changes in the same order.
func sameChanges(reported, shown []Change) error {
	for i := range max(len(reported), len(shown)) {
		switch {
		case i >= len(reported):
			return fmt.Errorf("provenance: the whole domain shows %s %s, which the layer did not report", shown[i].Op, shown[i].Path)
		case i >= len(shown):
			return fmt.Errorf("provenance: the layer reported %s %s, which the whole domain does not show", reported[i].Op, reported[i].Path)
		case reported[i] != shown[i]:
			return fmt.Errorf("provenance: change %d: the layer reported %s %s (%q, was %q), the whole domain shows %s %s (%q, was %q)",
				i+1, reported[i].Op, reported[i].Path, reported[i].New, reported[i].Old, shown[i].Op, shown[i].Path, shown[i].New, shown[i].Old)
		}
	}
	return nil
}

// conflictsOf lists the earlier writes ch collides with: the same path, or
// (when ch removes an element) any path under it.
func conflictsOf(l Layer, ch Change, owner map[string]string, owned []string) []Conflict {
	var out []Conflict
	if o, ok := owner[ch.Path]; ok && o != l.Name {
		out = append(out, Conflict{First: o, Second: l.Name, Path: ch.Path})
	}
	if ch.Op == OpRemoved {
		for _, p := range owned {
			if o := owner[p]; o != l.Name && p != ch.Path && provenance.Covers(ch.Path, p) {
				out = append(out, Conflict{First: o, Second: l.Name, Path: p})
			}
		}
	}
	return out
}

// declares reports whether ch lies within l's declared writes. An element
// added or removed above a declared path counts: it is the container the
// write needs (<memoryBacking> for .../memoryBacking/hugepages).
func declares(l Layer, ch Change) bool {
	d := ch.Declared()
	for _, w := range l.Writes {
		if provenance.Covers(w, d) {
			return true
		}
		if ch.Op != OpSet && !strings.Contains(d, "/@") && provenance.Covers(d, w) {
			return true
		}
	}
	return false
}

func (c *Context) warn(msg string, args ...any) {
	if c.Log != nil {
		c.Log.Warn(msg, args...)
	}
}

var (
	layerName    = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	declaredPath = regexp.MustCompile(`^/domain(/[A-Za-z_][A-Za-z0-9_.:-]*)*(/@[A-Za-z_][A-Za-z0-9_.:-]*)?$`)
)

// ValidateOrder checks a chain order: names well-formed and unique, Apply
// set, Writes declared paths, and overrides naming layers that run earlier.
func ValidateOrder(layers []Layer) error {
	var errs []error
	pos := map[string]int{}
	for i, l := range layers {
		switch {
		case !layerName.MatchString(l.Name):
			errs = append(errs, fmt.Errorf("layer %d: name %q: want lower-case words joined by dashes", i, l.Name))
		case hasKey(pos, l.Name):
			errs = append(errs, fmt.Errorf("layer/%s: listed twice in the order (positions %d and %d)", l.Name, pos[l.Name], i))
		default:
			pos[l.Name] = i
		}
		if l.Apply == nil {
			errs = append(errs, fmt.Errorf("layer/%s: no Apply", l.Name))
		}
		if len(l.Writes) == 0 {
			errs = append(errs, fmt.Errorf("layer/%s: declares no writes", l.Name))
		}
		for _, w := range l.Writes {
			if !declaredPath.MatchString(w) {
				errs = append(errs, fmt.Errorf("layer/%s: write %q is not a declared path (/domain/element/.../@attribute, no predicates)", l.Name, w))
			}
		}
	}
	for i, l := range layers {
		for _, o := range l.Overrides {
			j, ok := pos[o]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("layer/%s: overrides %q, which is not in the order", l.Name, o))
			case j >= i:
				errs = append(errs, fmt.Errorf("layer/%s: overrides %q, which does not run before it", l.Name, o))
			}
		}
	}
	return errors.Join(errs...)
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// Overlap is one declared path that several layers may write: each of
// Layers declares Declared[i], which is Path or covers it. A layer is listed
// when at least one other listed layer overlaps it unacknowledged (the
// later does not declare overrides: [earlier]).
type Overlap struct {
	Path     string
	Layers   []string // in chain order
	Declared []string // the path each layer declared, parallel to Layers
}

// maxListed bounds the layers an Overlap's message names.
const maxListed = 8

// Error names the path and the layers, the first maxListed of them.
func (o Overlap) Error() string {
	var b strings.Builder
	n := min(len(o.Layers), maxListed)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", o.Layers[i])
		if o.Declared[i] != o.Path {
			fmt.Fprintf(&b, " (declared %s)", o.Declared[i])
		}
	}
	if more := len(o.Layers) - n; more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	return fmt.Sprintf("%d layers may write %s: %s", len(o.Layers), o.Path, b.String())
}

// CheckDeclarations is the config-load check: layers whose declared writes
// overlap (equal, or one under the other at an element boundary), the later
// not declaring overrides: [earlier]. One finding per declared path, sorted
// by path, listing every layer involved; a path whose layers are exactly
// those of an overlap at a path above it is not repeated. The work is
// linear in the declared writes times their depth (10,000 layers writing
// one path give one finding).
func CheckDeclarations(layers []Layer) []Overlap {
	type writer struct {
		layer    int
		declared string
	}
	byPath := map[string][]writer{}
	for i, l := range layers {
		for _, w := range l.Writes {
			ws := byPath[w]
			if n := len(ws); n > 0 && ws[n-1].layer == i {
				continue // one layer declaring a path twice
			}
			byPath[w] = append(ws, writer{i, w})
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	slices.Sort(paths) // an ancestor sorts before what lies under it
	found := map[string]string{}
	var out []Overlap
	for _, p := range paths {
		// The writers of p and of every declared path above it, one per
		// layer (the nearest declaration), in chain order.
		var group []writer
		seen := map[int]bool{}
		var ancestorKey string
		for end := len(p); end > 0; end = strings.LastIndexByte(p[:end], '/') {
			a := p[:end]
			for _, w := range byPath[a] {
				if !seen[w.layer] {
					seen[w.layer] = true
					group = append(group, w)
				}
			}
			if k, ok := found[a]; ok && a != p && ancestorKey == "" {
				ancestorKey = k
			}
		}
		if len(group) < 2 {
			continue
		}
		slices.SortFunc(group, func(x, y writer) int { return x.layer - y.layer })
		pos := make(map[string]int, len(group))
		for i, w := range group {
			pos[layers[w.layer].Name] = i
		}
		ackBy := make([]int, len(group))
		later := make([]bool, len(group))
		for j, w := range group {
			acked := 0
			for _, o := range layers[w.layer].Overrides {
				if i, ok := pos[o]; ok && i < j {
					acked++
					ackBy[i]++
				}
			}
			later[j] = j-acked > 0
		}
		ov := Overlap{Path: p}
		for i, w := range group {
			if later[i] || len(group)-1-i-ackBy[i] > 0 {
				ov.Layers = append(ov.Layers, layers[w.layer].Name)
				ov.Declared = append(ov.Declared, w.declared)
			}
		}
		if len(ov.Layers) < 2 {
			continue
		}
		key := strings.Join(ov.Layers, "\x00")
		found[p] = key
		if key == ancestorKey {
			continue
		}
		out = append(out, ov)
	}
	return out
}

// Explain is the per-change listing of render --explain: one line per
// change (layer, op, path, values, an acknowledged win), then conflicts and
// undeclared writes let through by policy warn.
func (r Result) Explain() string {
	var b strings.Builder
	if len(r.Applied) == 0 {
		b.WriteString("no layer changed the domain\n")
		return b.String()
	}
	fmt.Fprintf(&b, "layers applied: %s\n", strings.Join(r.Applied, ", "))
	width := 16 // the column of layer names, wider for a longer name
	for _, c := range r.Changes {
		width = max(width, len(c.Layer))
	}
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "%-*s %-7s %s", width, c.Layer, c.Op, c.Path)
		switch c.Op {
		case OpSet:
			fmt.Fprintf(&b, " = %q (was %q)", c.New, c.Old)
		case OpAdded:
			switch {
			case strings.HasPrefix(c.New, "<"): // an element: its summary, as XML
				fmt.Fprintf(&b, " %s", c.New)
			case c.New != "":
				fmt.Fprintf(&b, " = %q", c.New)
			}
		case OpRemoved:
			switch {
			case strings.HasPrefix(c.Old, "<"):
				fmt.Fprintf(&b, " (was %s)", c.Old)
			case c.Old != "":
				fmt.Fprintf(&b, " (was %q)", c.Old)
			}
		}
		if c.OverrodeLayer != "" {
			fmt.Fprintf(&b, " [overrides %s: acknowledged]", c.OverrodeLayer)
		}
		b.WriteByte('\n')
	}
	for _, c := range r.Conflicts {
		fmt.Fprintf(&b, "conflict: %s\n", c.Error())
	}
	for _, c := range r.Undeclared {
		fmt.Fprintf(&b, "undeclared: layer %q wrote %s\n", c.Layer, c.Path)
	}
	return b.String()
}
