package linux2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/strataagent/strata/upstream/linux"
)

// ImageInfo is one link of a backing chain, as `qemu-img info --output=json`
// reports it. upstream's linux.QemuImgBackingChain keeps only the file
// names; the layers need each link's format and sizes too.
type ImageInfo struct {
	Filename            string `json:"filename"`
	Format              string `json:"format"`
	VirtualSize         int64  `json:"virtual-size"`
	ActualSize          int64  `json:"actual-size"` // allocated bytes on disk
	ClusterSize         int64  `json:"cluster-size,omitempty"`
	Encrypted           bool   `json:"encrypted,omitempty"`
	DirtyFlag           bool   `json:"dirty-flag,omitempty"`
	BackingFilename     string `json:"backing-filename,omitempty"`      // as written in the image, maybe relative
	FullBackingFilename string `json:"full-backing-filename,omitempty"` // resolved against the image's directory
	BackingFormat       string `json:"backing-filename-format,omitempty"`
}

// BackingChain runs `qemu-img info --backing-chain --output=json` on path
// and returns the image followed by each of its backing files, nearest
// first. --force-share lets it read images a running qemu holds locked, as
// upstream's qemu-img calls do.
func (h *Host) BackingChain(ctx context.Context, path string) ([]ImageInfo, error) {
	if path == "" {
		return nil, errors.New("backing chain: image path is empty")
	}
	if strings.HasPrefix(path, "-") {
		return nil, fmt.Errorf("backing chain: invalid image path %q: starts with '-'", path)
	}
	qemuImg := h.QemuImg
	if qemuImg == "" {
		qemuImg = linux.QemuImgPath()
	}
	out, err := h.runner().Call(ctx, qemuImg, "info", "--output=json", "--force-share", "--backing-chain", path)
	if err != nil {
		return nil, fmt.Errorf("backing chain of %s: %w", path, err)
	}
	chain, err := ParseBackingChain([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("backing chain of %s: %w", path, err)
	}
	return chain, nil
}

// ParseBackingChain decodes the JSON array of `qemu-img info --backing-chain
// --output=json` and checks that it is one chain: not empty, every link but
// the last has a backing file, the last has none.
func ParseBackingChain(data []byte) ([]ImageInfo, error) {
	var chain []ImageInfo
	if err := json.Unmarshal(data, &chain); err != nil {
		return nil, fmt.Errorf("parse qemu-img info --backing-chain output: %w", err)
	}
	if len(chain) == 0 {
		return nil, errors.New("parse qemu-img info --backing-chain output: empty chain")
	}
	for i, in := range chain {
		if in.Filename == "" || in.Format == "" {
			return nil, fmt.Errorf("parse qemu-img info --backing-chain output: link %d has no filename or format", i)
		}
		last := i == len(chain)-1
		if !last && in.BackingFilename == "" {
			return nil, fmt.Errorf("parse qemu-img info --backing-chain output: link %d (%s) has no backing file but is followed by %s",
				i, in.Filename, chain[i+1].Filename)
		}
		if last && in.BackingFilename != "" {
			return nil, fmt.Errorf("parse qemu-img info --backing-chain output: last link %s names backing file %s, which is missing from the chain",
				in.Filename, in.BackingFilename)
		}
	}
	return chain, nil
}
