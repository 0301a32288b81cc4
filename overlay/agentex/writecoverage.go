package agentex

import (
	"context"
	"fmt"
	"io"

	"github.com/strataagent/strata/overlay/config"
	"github.com/strataagent/strata/overlay/provenance"
	"github.com/strataagent/strata/overlay/start"
)

// printWriteCoverage warns for every declared write of a layer that no
// start command under dir made it produce: the release-merge tool compares
// the stock XML where a layer the corpus exercises was recorded writing, so
// such a declared part is watched by nothing (a corpus gap, or a
// declaration wider than the layer).
func printWriteCoverage(w io.Writer, snap *config.Snapshot, dir string) error {
	files, err := readCorpus(dir)
	if err != nil {
		return fmt.Errorf("write coverage: %w", err)
	}
	written := map[string][]string{} // layer -> declared forms of its changes
	runs := 0
	for _, f := range files {
		res, err := start.Run(context.Background(), f.body, start.Layers{Order: snap.Order, Config: snap.Layer},
			OfflineTarget(snap.Stock), start.Options{})
		if err != nil {
			continue // refused or failing: printCoverage already said which
		}
		runs++
		for _, c := range res.Changes {
			written[c.Layer] = append(written[c.Layer], c.Declared())
		}
	}
	warned := 0
	for _, l := range snap.Order {
		for _, d := range l.Writes {
			produced := false
			for _, p := range written[l.Name] {
				// A change under the declared part, or of a whole element
				// holding it (hugepages adds <memoryBacking>).
				produced = produced || provenance.Overlap(d, p)
			}
			if !produced {
				warned++
				fmt.Fprintf(w, "warning: layer %s declares write %s, which none of the %d commands under %s produced\n", l.Name, d, runs, dir)
			}
		}
	}
	fmt.Fprintf(w, "writes: %d commands rendered, %d declared writes produced by none\n", runs, warned)
	return nil
}
