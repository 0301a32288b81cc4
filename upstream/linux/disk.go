package linux

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// GetLocalFileSize is linux.get_local_file_size: the file's length in bytes.
func GetLocalFileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("get size of %s: %w", path, err)
	}
	return st.Size(), nil
}

func statfs(dir string) (syscall.Statfs_t, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return st, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st, nil
}

// GetTotalDiskSize is linux.get_total_disk_size: f_blocks × f_frsize.
func GetTotalDiskSize(dir string) (int64, error) {
	st, err := statfs(dir)
	if err != nil {
		return 0, err
	}
	return int64(st.Blocks) * st.Frsize, nil
}

// GetFreeDiskSize is linux.get_free_disk_size: f_bavail × f_frsize, the
// space an unprivileged writer can still use.
func GetFreeDiskSize(dir string) (int64, error) {
	st, err := statfs(dir)
	if err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Frsize, nil
}

// GetUsedDiskSize is linux.get_used_disk_size: total − free, from one statfs
// so the two numbers agree.
func GetUsedDiskSize(dir string) (int64, error) {
	st, err := statfs(dir)
	if err != nil {
		return 0, err
	}
	return (int64(st.Blocks) - int64(st.Bavail)) * st.Frsize, nil
}

// GetFolderSize is linux.get_folder_size: the summed length of the regular
// files under dir.
func GetFolderSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("get folder size of %s: %w", dir, err)
	}
	return total, nil
}

// Mkdir is linux.mkdir: create path with its parents; an existing directory
// is fine (two callers may race to create it), a regular file in the way is
// an error.
func Mkdir(path string, perm fs.FileMode) error {
	err := os.MkdirAll(path, perm)
	if err == nil {
		return nil
	}
	if st, serr := os.Stat(path); serr == nil {
		if st.IsDir() {
			return nil
		}
		return fmt.Errorf("mkdir %s: the path exists and is not a directory", path)
	}
	return fmt.Errorf("mkdir %s: %w", path, err)
}
