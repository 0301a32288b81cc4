package vmplugin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/upstream/linux"
	"github.com/strataagent/strata/upstream/pathguard"
	"github.com/strataagent/strata/upstream/shell"
	"github.com/strataagent/strata/upstream/virtconn"
)

// LiveHost is the Host the running agent builds with: it runs qemu-img,
// creates directories and defines libvirt secrets for real.
type LiveHost struct {
	Conn     *virtconn.Conn
	Emulator string // configured default emulator; "" finds one as get_qemu_path does
	Runner   shell.Runner
	Log      *slog.Logger
	// ConfinedDirs are the only directories the agent creates paths in or
	// removes paths from (channel sockets and their directories), checked
	// with symbolic links resolved; nil means pathguard.DefaultDirs(), an
	// empty list allows nothing. Image paths, only read, are not confined.
	ConfinedDirs []string

	// undo, on the copy one start builds with (hostFor), collects what
	// that start created so a failed start can remove it.
	undo *StartUndo
}

var _ Host = (*LiveHost)(nil)

// ImageFormat is linux.get_img_fmt.
func (h *LiveHost) ImageFormat(ctx context.Context, path string) (string, error) {
	return linux.GetImgFmt(ctx, path)
}

// QemuPath is the configured emulator, else kvmagent.get_qemu_path.
func (h *LiveHost) QemuPath() (string, error) {
	if h.Emulator != "" {
		return h.Emulator, nil
	}
	return linux.GetQemuPath()
}

// Guard is the confinement of the paths this host creates and removes.
func (h *LiveHost) Guard() pathguard.Guard {
	if h == nil || h.ConfinedDirs == nil {
		return pathguard.Guard{Dirs: pathguard.DefaultDirs()}
	}
	return pathguard.Guard{Dirs: h.ConfinedDirs}
}

// MkdirAll is linux.mkdir, for a path inside ConfinedDirs only (a
// *pathguard.OutsideError otherwise). The directories it creates are
// recorded for a failed start to remove.
func (h *LiveHost) MkdirAll(path string, perm fs.FileMode) error {
	dir, err := h.Guard().Create(path)
	if err != nil {
		return err
	}
	missing := missingDirs(dir)
	if err := linux.Mkdir(dir, perm); err != nil {
		return err
	}
	guard := h.Guard()
	for _, d := range missing {
		if _, err := guard.Remove(d); err != nil {
			continue // an allowed directory itself, or above one: it stays
		}
		h.undo.add("directory "+d, func(context.Context) error {
			// Only if still empty: another VM's socket may be in it by now.
			if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
				return err
			}
			return nil
		})
	}
	return nil
}

// missingDirs lists dir and its ancestors that do not exist, outermost first.
func missingDirs(dir string) []string {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append([]string{d}, missing...)
		if filepath.Dir(d) == d {
			break
		}
	}
	return missing
}

// CreateCephSecret is _create_ceph_secret_key, through the libvirt API
// instead of virsh: keep an existing secret whose value matches, update one
// whose value differs, else define an ephemeral ceph secret and set its value.
func (h *LiveHost) CreateCephSecret(ctx context.Context, userKey, uuid string) error {
	err := h.Conn.Do(func(c *libvirt.Connect) error {
		if sec, err := c.LookupSecretByUUIDString(uuid); err == nil {
			defer sec.Free()
			if val, err := sec.GetValue(0); err == nil && string(val) == userKey {
				return nil
			}
			if err := sec.SetValue([]byte(userKey), 0); err != nil {
				return fmt.Errorf("set value of ceph secret %s: %w", uuid, err)
			}
			return nil
		}
		def := libvirtxml.Secret{
			Ephemeral: "yes", Private: "no", UUID: uuid,
			Usage: &libvirtxml.SecretUsage{Type: "ceph", Name: uuid},
		}
		doc, err := def.Marshal()
		if err != nil {
			return fmt.Errorf("marshal ceph secret %s: %w", uuid, err)
		}
		sec, err := c.SecretDefineXML(doc, 0)
		if err != nil {
			return fmt.Errorf("define ceph secret %s: %w", uuid, err)
		}
		defer sec.Free()
		h.undo.add("ceph secret "+uuid, h.undefineSecret(uuid))
		if err := sec.SetValue([]byte(userKey), 0); err != nil {
			return fmt.Errorf("set value of ceph secret %s: %w", uuid, err)
		}
		return nil
	})
	return maskError(err, userKey)
}

// ISCSILogin logs in as BlkIscsi does and waits for the LUN's by-path device.
// The LUN is always 1: the seed's login helper never sets it.
func (h *LiveHost) ISCSILogin(ctx context.Context, t ISCSITarget) (string, error) {
	portal := t.Hostname + ":" + t.Port
	run := h.Runner.WithSecrets(t.ChapPassword) // iscsiadm takes it as --value
	if _, err := run.Call(ctx, "iscsiadm", "-m", "discovery", "-t", "sendtargets", "-p", portal); err != nil {
		return "", fmt.Errorf("iscsi discovery on %s: %w", portal, err)
	}
	node := []string{"iscsiadm", "--mode", "node", "--targetname", t.Target, "-p", portal}
	if t.ChapUsername != "" && t.ChapPassword != "" {
		for _, kv := range [][2]string{
			{"node.session.auth.authmethod", "CHAP"},
			{"node.session.auth.username", t.ChapUsername},
			{"node.session.auth.password", t.ChapPassword},
		} {
			argv := append(append([]string{}, node...), "--op=update", "--name", kv[0], "--value", kv[1])
			if _, err := run.Call(ctx, argv...); err != nil {
				return "", fmt.Errorf("iscsi chap setup for %s: %w", t.Target, err)
			}
		}
	}
	_, err := run.Call(ctx, append(node, "--login")...)
	switch {
	case err == nil:
		// A session this start opened; one already present serves others.
		h.undo.add("iscsi session "+t.Target+" on "+portal, func(ctx context.Context) error {
			_, err := h.Runner.Call(ctx, "iscsiadm", "-m", "node", "--targetname", t.Target, "--portal", portal, "--logout")
			return err
		})
	case !strings.Contains(err.Error(), "already present"):
		return "", fmt.Errorf("iscsi login to %s: %w", t.Target, err)
	}
	dev := fmt.Sprintf("/dev/disk/by-path/ip-%s-iscsi-%s-lun-1", portal, t.Target)
	ok := linux.WaitCallbackSuccess(ctx, func() (bool, error) { return pathExists(dev), nil }, 30*time.Second, time.Second)
	if !ok {
		return "", fmt.Errorf("iscsi device %s did not appear after 30 seconds", dev)
	}
	return dev, nil
}

// ISCSISecret defines VirtioIscsi's ephemeral, private CHAP secret.
func (h *LiveHost) ISCSISecret(ctx context.Context, volumeUUID, target, password string) (string, error) {
	var id string
	err := h.Conn.Do(func(c *libvirt.Connect) error {
		def := libvirtxml.Secret{
			Ephemeral: "yes", Private: "yes", Description: volumeUUID,
			Usage: &libvirtxml.SecretUsage{Type: "iscsi", Target: target},
		}
		doc, err := def.Marshal()
		if err != nil {
			return err
		}
		sec, err := c.SecretDefineXML(doc, 0)
		if err != nil {
			return fmt.Errorf("define iscsi secret for volume %s: %w", volumeUUID, err)
		}
		defer sec.Free()
		if id, err = sec.GetUUIDString(); err != nil {
			// Without its uuid the secret could not be undone: undefine now.
			_ = sec.Undefine()
			return fmt.Errorf("read uuid of iscsi secret for volume %s: %w", volumeUUID, err)
		}
		// Its usage (the target) is unique in libvirt: left behind, it
		// makes every later start of this target fail.
		h.undo.add("iscsi secret "+id, h.undefineSecret(id))
		if err := sec.SetValue([]byte(password), 0); err != nil {
			return fmt.Errorf("set iscsi secret for volume %s: %w", volumeUUID, err)
		}
		return nil
	})
	return id, maskError(err, password)
}

// undefineSecret is the undo of a secret this start defined.
func (h *LiveHost) undefineSecret(uuid string) func(context.Context) error {
	return func(context.Context) error {
		return h.Conn.Do(func(c *libvirt.Connect) error {
			sec, err := c.LookupSecretByUUIDString(uuid)
			if err != nil {
				if lerr, ok := err.(libvirt.Error); ok && lerr.Code == libvirt.ERR_NO_SECRET {
					return nil
				}
				return err
			}
			defer sec.Free()
			return sec.Undefine()
		})
	}
}

// FusionstorFormat is lichbd_get_format: the cluster must be running, then
// qemu-img reads the format through the nbd socket.
func (h *LiveHost) FusionstorFormat(ctx context.Context, path string) (string, error) {
	out, err := h.Runner.Call(ctx, "lich.node", "--stat")
	if err != nil {
		return "", fmt.Errorf("fusionstor status: %w", err)
	}
	if !strings.Contains(out, "running") {
		return "", fmt.Errorf("fusionstor is not running")
	}
	info, err := h.Runner.Call(ctx, "qemu-img", "info", "nbd:unix:/tmp/nbd-socket:exportname="+path)
	if err != nil {
		return "", fmt.Errorf("fusionstor image format of %s: %w", path, err)
	}
	for _, line := range strings.Split(info, "\n") {
		if f, ok := strings.CutPrefix(strings.TrimSpace(line), "file format:"); ok {
			return strings.TrimSpace(f), nil
		}
	}
	return "", fmt.Errorf("no file format in qemu-img info of %s", path)
}

// logoutISCSIDisks logs out of every lun disk's target before the stop
// (errors are logged: the stop goes on, as in the seed).
func (h *LiveHost) logoutISCSIDisks(ctx context.Context, d *libvirtxml.Domain) {
	if d == nil || d.Devices == nil {
		return
	}
	for _, disk := range d.Devices.Disks {
		if disk.Device != "lun" || disk.Source == nil || disk.Source.Block == nil {
			continue
		}
		portal, target, ok := parseByPath(disk.Source.Block.Dev)
		if !ok {
			continue
		}
		if _, err := h.Runner.Call(ctx, "iscsiadm", "-m", "node", "--targetname", target, "--portal", portal, "--logout"); err != nil {
			h.log().WarnContext(ctx, "iscsi logout failed", "target", target, "err", err)
		}
	}
}

// parseByPath splits /dev/disk/by-path/ip-H:P-iscsi-T-lun-N.
func parseByPath(dev string) (portal, target string, ok bool) {
	rest, ok := strings.CutPrefix(dev, "/dev/disk/by-path/ip-")
	if !ok {
		return "", "", false
	}
	portal, rest, ok = strings.Cut(rest, "-iscsi-")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(rest, "-lun-")
	if i < 0 {
		return "", "", false
	}
	return portal, rest[:i], true
}

// killQemu is the seed's last resort when undefine keeps failing.
func (h *LiveHost) killQemu(uuid string) {
	pid, found, err := linux.FindQemuProcessByUUID(uuid)
	if err != nil || !found {
		return
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		h.log().Warn("kill qemu failed", "pid", pid, "vm", uuid, "err", err)
	}
}

func (h *LiveHost) log() *slog.Logger {
	if h != nil && h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
