package linux2

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseBackingChain(t *testing.T) {
	data, err := os.ReadFile("testdata/qemu-img-chain3.json") // qemu-img 7.2, paths rewritten
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseBackingChain(data)
	if err != nil {
		t.Fatal(err)
	}
	const dir = "/var/lib/zstack/images/"
	want := []ImageInfo{
		{Filename: "top.qcow2", Format: "qcow2", VirtualSize: 1 << 20, ActualSize: 200704, ClusterSize: 65536,
			BackingFilename: dir + "mid.qcow2", FullBackingFilename: dir + "mid.qcow2", BackingFormat: "qcow2"},
		{Filename: dir + "mid.qcow2", Format: "qcow2", VirtualSize: 1 << 20, ActualSize: 200704, ClusterSize: 65536,
			BackingFilename: "base.qcow2", FullBackingFilename: dir + "base.qcow2", BackingFormat: "qcow2"},
		{Filename: dir + "base.qcow2", Format: "qcow2", VirtualSize: 1 << 20, ActualSize: 200704, ClusterSize: 65536},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseBackingChain =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseBackingChainRefuses(t *testing.T) {
	tests := []struct {
		name, json, wantErr string
	}{
		{"not json", `qemu-img: oops`, "parse qemu-img info --backing-chain output: invalid character"},
		{"object, not array", `{"filename": "a", "format": "raw"}`, "cannot unmarshal object"},
		{"empty", `[]`, "empty chain"},
		{"no format", `[{"filename": "a"}]`, "link 0 has no filename or format"},
		{"gap", `[{"filename": "a", "format": "qcow2"}, {"filename": "b", "format": "raw"}]`,
			"link 0 (a) has no backing file but is followed by b"},
		{"truncated", `[{"filename": "a", "format": "qcow2", "backing-filename": "b"}]`,
			"last link a names backing file b, which is missing from the chain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBackingChain([]byte(tc.json))
			wantErr(t, err, tc.wantErr)
		})
	}
}

// fakeRunner records argv and answers with out, err.
type fakeRunner struct {
	argv []string
	out  string
	err  error
}

func (f *fakeRunner) Call(_ context.Context, argv ...string) (string, error) {
	f.argv = argv
	return f.out, f.err
}

func TestBackingChainRunsQemuImgByArgv(t *testing.T) {
	data, err := os.ReadFile("testdata/qemu-img-chain3.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		run      *fakeRunner
		wantArgv []string
		wantLen  int
		wantErr  string
	}{
		{"chain", "/images/top qcow2;rm -rf /", &fakeRunner{out: string(data)},
			[]string{"/opt/qemu-img", "info", "--output=json", "--force-share", "--backing-chain", "/images/top qcow2;rm -rf /"}, 3, ""},
		{"runner fails", "/images/a", &fakeRunner{err: errors.New("exit 1")}, nil, 0, "backing chain of /images/a: exit 1"},
		{"bad output", "/images/a", &fakeRunner{out: "[]"}, nil, 0, "backing chain of /images/a: parse qemu-img info --backing-chain output: empty chain"},
		{"option-like path", "-h", &fakeRunner{}, nil, 0, `invalid image path "-h": starts with '-'`},
		{"empty path", "", &fakeRunner{}, nil, 0, "image path is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &Host{Root: "/", Run: tc.run, QemuImg: "/opt/qemu-img"}
			got, err := h.BackingChain(context.Background(), tc.path)
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil || len(got) != tc.wantLen {
				t.Fatalf("BackingChain = %d links, %v; want %d", len(got), err, tc.wantLen)
			}
			if !reflect.DeepEqual(tc.run.argv, tc.wantArgv) {
				t.Fatalf("argv = %q\nwant %q", tc.run.argv, tc.wantArgv)
			}
		})
	}
}

func qemuImg(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("qemu-img", args...).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img %v: %v\n%s", args, err, out)
	}
}

// TestBackingChainWithQemuImg builds real chains: base (raw) ← mid (qcow2,
// relative backing name) ← top (qcow2, absolute backing name).
func TestBackingChainWithQemuImg(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed (Debian: qemu-utils)")
	}
	dir := t.TempDir()
	base, mid, top := filepath.Join(dir, "base.raw"), filepath.Join(dir, "mid.qcow2"), filepath.Join(dir, "top.qcow2")
	qemuImg(t, "create", "-q", "-f", "raw", base, "2M")
	qemuImg(t, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", mid)
	qemuImg(t, "create", "-q", "-f", "qcow2", "-b", mid, "-F", "qcow2", top, "4M")
	alone := filepath.Join(dir, "alone.qcow2")
	qemuImg(t, "create", "-q", "-f", "qcow2", alone, "1M")
	h := NewHost()

	tests := []struct {
		name       string
		path       string
		files      []string
		formats    []string
		sizes      []int64
		backing    []string
		fullBacked []string
		wantErr    string
	}{
		{"three links", top, []string{top, mid, base}, []string{"qcow2", "qcow2", "raw"},
			[]int64{4 << 20, 2 << 20, 2 << 20}, []string{mid, "base.raw", ""}, []string{mid, base, ""}, ""},
		{"from the middle", mid, []string{mid, base}, []string{"qcow2", "raw"},
			[]int64{2 << 20, 2 << 20}, []string{"base.raw", ""}, []string{base, ""}, ""},
		{"no backing file", alone, []string{alone}, []string{"qcow2"}, []int64{1 << 20}, []string{""}, []string{""}, ""},
		{"missing image", filepath.Join(dir, "nope.qcow2"), nil, nil, nil, nil, nil, "backing chain of " + filepath.Join(dir, "nope.qcow2")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain, err := h.BackingChain(context.Background(), tc.path)
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var files, formats, backing, full []string
			var sizes []int64
			for _, in := range chain {
				files, formats, sizes = append(files, in.Filename), append(formats, in.Format), append(sizes, in.VirtualSize)
				backing, full = append(backing, in.BackingFilename), append(full, in.FullBackingFilename)
			}
			for _, c := range []struct {
				what      string
				got, want any
			}{{"files", files, tc.files}, {"formats", formats, tc.formats}, {"sizes", sizes, tc.sizes},
				{"backing", backing, tc.backing}, {"full backing", full, tc.fullBacked}} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}

	// A link removed under the chain: qemu-img fails, and says which file.
	if err := os.Remove(mid); err != nil {
		t.Fatal(err)
	}
	_, err := h.BackingChain(context.Background(), top)
	wantErr(t, err, "Could not open '"+mid+"'")
}
