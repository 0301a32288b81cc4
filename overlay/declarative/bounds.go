package declarative

// Bounds on what a config can make large. Each is far above any real
// config and low enough that loading, checking overlaps and running the
// layers stay linear and small: a config beyond them is refused at load,
// naming the field and the bound, so a reload never exhausts a running
// agent's memory.
const (
	// maxEntries bounds layers.declarative (one per-VM tweak per VM fits).
	maxEntries = 10000
	// maxOps bounds an entry's ops.
	maxOps = 64
	// maxPathLen and maxPathDepth bound an op's path (and a property's
	// dotted form, a fragment's nesting).
	maxPathLen   = 512
	maxPathDepth = 16
	// maxSetKeys bounds the properties of set, unset and create, and match.
	maxSetKeys = 64
	// maxValueLen bounds one value (a set value, a match value).
	maxValueLen = 4096
	// maxFragment and maxFragmentElements bound a merge or add fragment.
	maxFragment         = 64 << 10
	maxFragmentElements = 1024
	// maxNameLen bounds names, globs, tags and the doc line.
	maxNameLen = 256
	maxDocLen  = 4096
	// maxReported bounds the errors one load reports; the rest are counted.
	maxReported = 50
)
