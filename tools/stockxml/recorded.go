package stockxml

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/strataagent/strata/tools/layout"
)

// explainGlob picks, in each golden folder of the layout (goldens.dirs),
// each case's `render --explain` listing, one change per line as the
// overlay's provenance records it ("machine  removed  /domain/devices/disk[target=hdc] ...").
// Their tests re-render them against the tree's own upstream, so they hold
// what each layer writes under that release.
const explainGlob = "*.explain.txt"

// Recorded reads the explain goldens of the tree at root: for each layer
// the corpus exercises, the exact paths it was recorded writing (set, added
// or removed), sorted and unique. The tool reads the records as text and
// links nothing of the overlay.
func Recorded(root string) (map[string][]string, error) {
	lay, err := layout.Load(root)
	if err != nil {
		return nil, fmt.Errorf("explain goldens: %w", err)
	}
	out := map[string][]string{}
	for _, d := range lay.Goldens.Dirs {
		g := filepath.Join(d, explainGlob)
		files, err := filepath.Glob(layout.Abs(root, g))
		if err != nil {
			return nil, fmt.Errorf("explain goldens %s: %w", g, err)
		}
		for _, f := range files {
			if err := readExplain(f, out); err != nil {
				return nil, err
			}
		}
	}
	for l, ps := range out {
		slices.Sort(ps)
		out[l] = slices.Compact(ps)
	}
	return out, nil
}

func readExplain(file string, out map[string][]string) error {
	fh, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("explain golden: %w", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 || !strings.HasPrefix(fs[2], "/domain") {
			continue
		}
		switch fs[1] {
		case "set", "added", "removed":
			// The path ends at the first space outside a quoted key value.
			line := sc.Text()
			out[fs[0]] = append(out[fs[0]], pathAt(line[strings.Index(line, "/domain"):]))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("explain golden %s: %w", file, err)
	}
	return nil
}

// pathAt is the recorded path at the start of s.
func pathAt(s string) string {
	if i := indexUnquoted(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// WritePaths are the paths to compare for a layer's declared write d, given
// what the corpus recorded (Recorded): for a layer the corpus exercises,
// the recorded paths under d, and d inside a whole element the layer wrote
// around it (hugepages adds <memoryBacking>); exact is then true, and no
// paths means the layer never wrote d. A layer the corpus does not exercise
// is compared at d itself.
func WritePaths(rec map[string][]string, layer, d string) (paths []string, exact bool) {
	written, ok := rec[layer]
	if !ok {
		return []string{d}, false
	}
	for _, p := range written {
		switch pd := Declared(p); {
		case Covers(d, pd):
			paths = append(paths, p)
		case Covers(pd, d):
			paths = append(paths, p+d[len(pd):])
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths), true
}
