// Package excmd holds the /ex/vm/start command: the stock StartVmCmd plus an
// ex block that drives the overlay's patch layers.
package excmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/strataagent/strata/upstream/vmplugin"
)

// StartVmExCmd is StartVmCmd plus ex. With an empty or absent ex and no
// declarative layer selecting the VM, the domain is the stock one, byte for byte.
type StartVmExCmd struct {
	vmplugin.StartVmCmd
	Ex *Ex `json:"ex,omitempty"`
}

// Ex is the ex block. Each field belongs to one Go layer (named in its
// comment); an unknown key is an error naming it (decoding is strict inside ex).
type Ex struct {
	Machine   *Machine          `json:"machine,omitempty"`   // layer machine
	Hugepages *Hugepages        `json:"hugepages,omitempty"` // layer hugepages
	Pinning   *Pinning          `json:"pinning,omitempty"`   // layer pinning
	Nics      *Nics             `json:"nics,omitempty"`      // layer nic-multiqueue
	Disks     *Disks            `json:"disks,omitempty"`     // layer disk-tuning
	Rng       *Rng              `json:"rng,omitempty"`       // layer rng
	Watchdog  *Watchdog         `json:"watchdog,omitempty"`  // layer watchdog
	Tags      map[string]string `json:"tags,omitempty"`      // layer tags; declarative selectors match them
	QemuArgs  []string          `json:"qemuArgs,omitempty"`  // layer qemu-args
}

// Machine selects the q35 machine type and UEFI firmware.
type Machine struct {
	Type       string `json:"type"`       // "q35" (or a versioned "pc-q35-X.Y")
	UEFI       bool   `json:"uefi"`       // OVMF firmware with a per-VM NVRAM
	SecureBoot bool   `json:"secureBoot"` // needs uefi; turns SMM on
}

// Hugepages backs guest memory with huge pages.
type Hugepages struct {
	Size uint64 `json:"size"` // page size in KiB: 2048 or 1048576; 0 means 2048
}

// Pinning pins vCPUs and the emulator threads to host CPUs.
type Pinning struct {
	VCPUs    []VCPUPin `json:"vcpus,omitempty"`
	Emulator string    `json:"emulator,omitempty"` // a cpuset: "0-1,3"
}

// VCPUPin pins one vCPU.
type VCPUPin struct {
	VCPU   int    `json:"vcpu"`
	CPUSet string `json:"cpuset"`
}

// Nics sets the interface driver: multiqueue and backend.
type Nics struct {
	Driver string   `json:"driver,omitempty"` // "qemu" (default) or "vhost"
	Queues uint     `json:"queues,omitempty"` // 1..256 and at most the vCPU count
	Macs   []string `json:"macs,omitempty"`   // the interfaces to change; empty means all
}

// Disks tunes disk drivers.
type Disks struct {
	Targets   []string `json:"targets,omitempty"`   // target devs ("vda"); empty means every device="disk"
	Discard   string   `json:"discard,omitempty"`   // unmap | ignore
	IO        string   `json:"io,omitempty"`        // native | threads | io_uring
	IOThreads uint     `json:"iothreads,omitempty"` // number of iothreads; disks are spread over them
}

// Rng adds a virtio-rng device.
type Rng struct {
	Backend string   `json:"backend,omitempty"` // /dev/urandom (default), /dev/random or /dev/hwrng
	Rate    *RngRate `json:"rate,omitempty"`
}

// RngRate limits the entropy the guest may draw.
type RngRate struct {
	Bytes  uint `json:"bytes"`
	Period uint `json:"period,omitempty"` // milliseconds
}

// Watchdog adds a watchdog device.
type Watchdog struct {
	Model  string `json:"model"`            // i6300esb | itco
	Action string `json:"action,omitempty"` // reset (default) | shutdown | poweroff | pause | none | dump | inject-nmi
}

// wire is the command as it arrives: the stock part decodes as the stock
// agent decodes it (unknown keys ignored), ex is kept raw for strict decoding.
type wire struct {
	vmplugin.StartVmCmd
	Ex json.RawMessage `json:"ex"`
}

// Decode reads a StartVmExCmd. The stock fields ignore unknown keys, as the
// stock agent does; inside ex every key must be known, and an error names
// its path ("ex.hugepage: unknown field", "ex.hugepages.size: ...").
func Decode(body []byte) (*StartVmExCmd, error) {
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode start command: %w", err)
	}
	cmd := &StartVmExCmd{StartVmCmd: w.StartVmCmd}
	raw := bytes.TrimSpace(w.Ex)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return cmd, nil
	}
	ex, err := DecodeEx(raw)
	if err != nil {
		return nil, err
	}
	cmd.Ex = ex
	return cmd, nil
}

// DecodeEx strictly decodes an ex block.
func DecodeEx(raw []byte) (*Ex, error) {
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("ex: %w", err)
	}
	if err := checkKeys(tree, reflect.TypeOf(Ex{}), "ex"); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	ex := &Ex{}
	if err := dec.Decode(ex); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("ex.%s: cannot use a JSON %s as %s: %w", te.Field, te.Value, te.Type, err)
		}
		return nil, fmt.Errorf("ex: %w", err)
	}
	return ex, nil
}

// checkKeys walks the decoded JSON next to the Go type and names the first
// key (in sorted order, so the error is stable) that the type lacks.
// encoding/json's own unknown-field error names the key but not its path,
// and matches names case-insensitively; here a key must match its tag exactly.
func checkKeys(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil // a type mismatch: the decoder reports it with the field
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("%s.%s: unknown field", path, k)
			}
			if err := checkKeys(obj[k], ft, path+"."+k); err != nil {
				return err
			}
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range arr {
			if err := checkKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
