package diff_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/strataagent/strata/tools/diff"
	"github.com/strataagent/strata/tools/lock"
	"github.com/strataagent/strata/tools/pass"
	"github.com/strataagent/strata/tools/passes"
	"github.com/strataagent/strata/tools/release"
)

// repoTree copies this repository's module files, overlay sides and
// upstream/ to a temporary tree; scale > 1 adds scale-1 copies of every
// upstream package (non-test files) under upstream/genN/, a generated
// upstream that many times larger.
func repoTree(b *testing.B, scale int) string {
	b.Helper()
	root, _ := filepath.Abs("../..")
	dir, err := release.Materialize(root, filepath.Join(root, "upstream"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	up := filepath.Join(dir, "upstream")
	for n := 1; n < scale; n++ {
		dst := filepath.Join(up, "gen"+strconv.Itoa(n))
		err := filepath.WalkDir(filepath.Join(root, "upstream"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join(root, "upstream"), p)
			return release.CopyTree(p, filepath.Join(dst, rel))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func benchDiff(b *testing.B, scale int, xml bool) {
	dir := repoTree(b, scale)
	for b.Loop() {
		if _, err := diff.Trees(context.Background(), dir, dir, !xml); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCheck(b *testing.B, scale int, xml bool) {
	dir := repoTree(b, scale)
	if _, err := lock.Accept(context.Background(), dir, pass.LockKinds(passes.All), !xml); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := diff.Check(context.Background(), dir, !xml); err != nil {
			b.Fatal(err)
		}
	}
}

// Without XML: loading and the passes. With XML: plus the stock corpus
// rendered by the harness (twice for diff, once for check), which builds
// only upstream/vmplugin, so it does not grow with the generated copies.
func BenchmarkDiffRepo(b *testing.B)        { benchDiff(b, 1, false) }
func BenchmarkDiffRepo10x(b *testing.B)     { benchDiff(b, 10, false) }
func BenchmarkCheckRepo(b *testing.B)       { benchCheck(b, 1, false) }
func BenchmarkCheckRepo10x(b *testing.B)    { benchCheck(b, 10, false) }
func BenchmarkDiffRepoXML(b *testing.B)     { benchDiff(b, 1, true) }
func BenchmarkDiffRepo10xXML(b *testing.B)  { benchDiff(b, 10, true) }
func BenchmarkCheckRepoXML(b *testing.B)    { benchCheck(b, 1, true) }
func BenchmarkCheckRepo10xXML(b *testing.B) { benchCheck(b, 10, true) }
