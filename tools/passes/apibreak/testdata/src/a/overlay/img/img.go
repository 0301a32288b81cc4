package img

import "github.com/strataagent/strata/upstream/linux"

// Format wraps upstream's.
func Format(p string) (string, error) {
	return linux.GetImgFmt(p) // want "api-break: upstream/linux.GetImgFmt: changed from"
}

// Size is untouched by the release.
func Size(p string) int64 { return linux.DiskSize(p) }
