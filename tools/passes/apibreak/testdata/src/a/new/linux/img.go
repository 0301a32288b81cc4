package linux

import "context"

// GetImgFmt returns the image format; it now takes a context.
func GetImgFmt(ctx context.Context, path string) (string, error) { return "qcow2", nil }

// DiskSize is unchanged.
func DiskSize(path string) int64 { return 0 }
