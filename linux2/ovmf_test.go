package linux2

import (
	"os"
	"reflect"
	"testing"
)

func TestFindFirmware(t *testing.T) {
	const ovmf = "/usr/share/OVMF/"
	tests := []struct {
		name    string
		fixture string
		q       FirmwareQuery
		want    Firmware
		wantErr string
	}{
		{"debian12 q35 secure boot: enrolled keys first", "debian12", FirmwareQuery{"x86_64", "q35", true}, Firmware{
			Code: ovmf + "OVMF_CODE_4M.ms.fd", VarsTemplate: ovmf + "OVMF_VARS_4M.ms.fd", SecureBoot: true, RequiresSMM: true,
			Descriptor: "/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json",
		}, ""},
		{"debian12 q35 plain", "debian12", FirmwareQuery{"x86_64", "q35", false}, Firmware{
			Code: ovmf + "OVMF_CODE_4M.fd", VarsTemplate: ovmf + "OVMF_VARS_4M.fd",
			Descriptor: "/usr/share/qemu/firmware/60-edk2-x86_64.json",
		}, ""},
		{"debian12 versioned q35", "debian12", FirmwareQuery{"x86_64", "pc-q35-7.2", false}, Firmware{
			Code: ovmf + "OVMF_CODE_4M.fd", VarsTemplate: ovmf + "OVMF_VARS_4M.fd",
			Descriptor: "/usr/share/qemu/firmware/60-edk2-x86_64.json",
		}, ""},
		{"debian12 i440fx plain", "debian12", FirmwareQuery{"x86_64", "pc", false}, Firmware{
			Code: ovmf + "OVMF_CODE_4M.fd", VarsTemplate: ovmf + "OVMF_VARS_4M.fd",
			Descriptor: "/usr/share/qemu/firmware/60-edk2-x86_64.json",
		}, ""},
		{"debian12 i440fx secure boot: no SMM build for it", "debian12", FirmwareQuery{"x86_64", "pc", true}, Firmware{},
			"ovmf: no UEFI firmware for x86_64 pc, secure boot on; descriptors passed over: " +
				"40-edk2-x86_64-secure-enrolled.json: not for x86_64 pc; 50-edk2-x86_64-secure.json: not for x86_64 pc; " +
				"60-edk2-x86_64.json: no secure-boot (is Debian's ovmf package installed?)"},
		{"etc hides enrolled, site firmware wins", "etcoverride", FirmwareQuery{"x86_64", "q35", true}, Firmware{
			Code: "/opt/fw/SITE_CODE.fd", VarsTemplate: "/opt/fw/SITE_VARS.fd", SecureBoot: true, RequiresSMM: true,
			Descriptor: "/etc/qemu/firmware/45-site-secure.json",
		}, ""},
		{"etcoverride plain skips other arch and missing file", "etcoverride", FirmwareQuery{"x86_64", "q35", false}, Firmware{
			Code: ovmf + "OVMF_CODE_4M.fd", VarsTemplate: ovmf + "OVMF_VARS_4M.fd",
			Descriptor: "/usr/share/qemu/firmware/60-edk2-x86_64.json",
		}, ""},
		{"etcoverride aarch64", "etcoverride", FirmwareQuery{"aarch64", "virt-7.2", false}, Firmware{
			Code: "/usr/share/AAVMF/AAVMF_CODE.fd", VarsTemplate: "/usr/share/AAVMF/AAVMF_VARS.fd",
			Descriptor: "/usr/share/qemu/firmware/10-aavmf.json",
		}, ""},
		{"bigbox: no descriptors, old Debian names", "bigbox", FirmwareQuery{"x86_64", "q35", false}, Firmware{
			Code: ovmf + "OVMF_CODE.fd", VarsTemplate: ovmf + "OVMF_VARS.fd",
		}, ""},
		{"bigbox: old secboot names", "bigbox", FirmwareQuery{"x86_64", "q35", true}, Firmware{
			Code: ovmf + "OVMF_CODE.secboot.fd", VarsTemplate: ovmf + "OVMF_VARS.ms.fd", SecureBoot: true, RequiresSMM: true,
		}, ""},
		{"bigbox: i440fx plain from Debian names", "bigbox", FirmwareQuery{"x86_64", "pc", false}, Firmware{
			Code: ovmf + "OVMF_CODE.fd", VarsTemplate: ovmf + "OVMF_VARS.fd",
		}, ""},
		{"bigbox: i440fx secure boot refused", "bigbox", FirmwareQuery{"x86_64", "pc", true}, Firmware{},
			"ovmf: no UEFI firmware for x86_64 pc, secure boot on; no descriptors in testdata/bigbox/usr/share/qemu/firmware, " +
				"testdata/bigbox/etc/qemu/firmware (is Debian's ovmf package installed?)"},
		{"bare: nothing installed", "bare", FirmwareQuery{"x86_64", "q35", true}, Firmware{},
			"ovmf: no UEFI firmware for x86_64 q35, secure boot on; no descriptors in testdata/bare/usr/share/qemu/firmware, " +
				"testdata/bare/etc/qemu/firmware; Debian's ovmf files missing: testdata/bare/usr/share/OVMF/OVMF_CODE_4M.ms.fd + OVMF_VARS_4M.ms.fd, " +
				"testdata/bare/usr/share/OVMF/OVMF_CODE_4M.secboot.fd + OVMF_VARS_4M.ms.fd, testdata/bare/usr/share/OVMF/OVMF_CODE.ms.fd + OVMF_VARS.ms.fd, " +
				"testdata/bare/usr/share/OVMF/OVMF_CODE.secboot.fd + OVMF_VARS.ms.fd (is Debian's ovmf package installed?)"},
		{"broken descriptor", "broken", FirmwareQuery{"x86_64", "q35", false}, Firmware{},
			"ovmf: testdata/broken/usr/share/qemu/firmware/50-bad.json: parse firmware descriptor: unexpected end of JSON input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fixture(tc.fixture).FindFirmware(tc.q)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FindFirmware(%v) = %+v, %v\nwant %+v", tc.q, got, err, tc.want)
			}
		})
	}
}

func TestFindFirmwareSaysWhyDescriptorsWerePassedOver(t *testing.T) {
	h := fixture("etcoverride")
	// Remove every usable plain and secure pair by asking for a machine none lists.
	_, err := h.FindFirmware(FirmwareQuery{"x86_64", "microvm", false})
	wantErr(t, err, "10-aavmf.json: not for x86_64 microvm; 20-missing.json: not for x86_64 microvm; "+
		"45-site-secure.json: not for x86_64 microvm; 50-edk2-x86_64-secure.json: not for x86_64 microvm; 60-edk2-x86_64.json: not for x86_64 microvm")
	_, err = h.FindFirmware(FirmwareQuery{"x86_64", "pc", false})
	if err != nil {
		t.Fatalf("pc plain: %v", err)
	}
	// 20-missing.json's code file is absent: passed over, named.
	if got := h.rejectDescriptor(mustDescriptor(t, h, "20-missing.json"), FirmwareQuery{"x86_64", "q35", false}); got != "missing testdata/etcoverride/usr/share/OVMF/GONE_CODE.fd" {
		t.Fatalf("rejectDescriptor(20-missing.json) = %q", got)
	}
}

func mustDescriptor(t *testing.T, h *Host, name string) FirmwareDescriptor {
	t.Helper()
	ds, err := h.FirmwareDescriptors()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Path == "/usr/share/qemu/firmware/"+name || d.Path == "/etc/qemu/firmware/"+name {
			return d
		}
	}
	t.Fatalf("no descriptor %s", name)
	return FirmwareDescriptor{}
}

func TestFirmwareDescriptorsOrderAndOverride(t *testing.T) {
	ds, err := fixture("etcoverride").FirmwareDescriptors()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.Path)
	}
	want := []string{ // by file name; the empty /etc 40-... hides /usr/share's
		"/usr/share/qemu/firmware/10-aavmf.json",
		"/usr/share/qemu/firmware/20-missing.json",
		"/etc/qemu/firmware/45-site-secure.json",
		"/usr/share/qemu/firmware/50-edk2-x86_64-secure.json",
		"/usr/share/qemu/firmware/60-edk2-x86_64.json",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("descriptor order = %v\nwant %v", got, want)
	}
}

func TestParseFirmwareDescriptor(t *testing.T) {
	// Debian bookworm's own file, copied from /usr/share/qemu/firmware.
	data, err := os.ReadFile("testdata/debian12/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseFirmwareDescriptor(data)
	if err != nil {
		t.Fatal(err)
	}
	want := FirmwareDescriptor{
		Description:    "UEFI firmware for x86_64, with Secure Boot and SMM, SB enabled, MS certs enrolled",
		InterfaceTypes: []string{"uefi"},
		Mapping: FirmwareMapping{
			Device:        "flash",
			Executable:    FirmwareFile{Filename: "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", Format: "raw"},
			NVRAMTemplate: FirmwareFile{Filename: "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", Format: "raw"},
		},
		Targets:  []FirmwareTarget{{Architecture: "x86_64", Machines: []string{"pc-q35-*"}}},
		Features: []string{"acpi-s3", "amd-sev", "enrolled-keys", "requires-smm", "secure-boot", "verbose-dynamic"},
		Tags:     []string{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseFirmwareDescriptor =\n%+v\nwant\n%+v", got, want)
	}
	for _, f := range []string{FeatureSecureBoot, FeatureEnrolledKeys, FeatureRequiresSMM} {
		if !got.HasFeature(f) {
			t.Errorf("HasFeature(%q) = false", f)
		}
	}
	if _, err := ParseFirmwareDescriptor([]byte(`{"features": "secure-boot"}`)); err == nil {
		t.Error("a string where features' list belongs parsed")
	}
}

func TestRejectDescriptor(t *testing.T) {
	h := fixture("debian12")
	base := func() FirmwareDescriptor {
		return FirmwareDescriptor{
			InterfaceTypes: []string{"uefi"},
			Mapping: FirmwareMapping{Device: "flash",
				Executable:    FirmwareFile{"/usr/share/OVMF/OVMF_CODE_4M.fd", "raw"},
				NVRAMTemplate: FirmwareFile{"/usr/share/OVMF/OVMF_VARS_4M.fd", "raw"}},
			Targets: []FirmwareTarget{{"x86_64", []string{"pc-q35-*"}}},
		}
	}
	q := FirmwareQuery{"x86_64", "q35", false}
	tests := []struct {
		name   string
		change func(*FirmwareDescriptor)
		q      FirmwareQuery
		want   string
	}{
		{"fits", func(*FirmwareDescriptor) {}, q, ""},
		{"bios", func(d *FirmwareDescriptor) { d.InterfaceTypes = []string{"bios"} }, q, "not uefi"},
		{"memory", func(d *FirmwareDescriptor) { d.Mapping.Device = "memory" }, q, `device "memory", not flash`},
		{"combined", func(d *FirmwareDescriptor) { d.Mapping.Mode = "combined" }, q, `flash mode "combined", not split`},
		{"split named", func(d *FirmwareDescriptor) { d.Mapping.Mode = "split" }, q, ""},
		{"no template", func(d *FirmwareDescriptor) { d.Mapping.NVRAMTemplate = FirmwareFile{} }, q, "no executable or nvram-template"},
		{"qcow2", func(d *FirmwareDescriptor) { d.Mapping.Executable.Format = "qcow2" }, q, "not raw"},
		{"format unset", func(d *FirmwareDescriptor) { d.Mapping.Executable.Format = "" }, q, ""},
		{"other arch", func(d *FirmwareDescriptor) { d.Targets[0].Architecture = "i386" }, q, "not for x86_64 q35"},
		{"secure wanted", func(*FirmwareDescriptor) {}, FirmwareQuery{"x86_64", "q35", true}, "no secure-boot"},
		{"secure without keys", func(d *FirmwareDescriptor) { d.Features = []string{"secure-boot"} },
			FirmwareQuery{"x86_64", "q35", true}, "secure-boot without enrolled-keys (boots with it off)"},
		{"secure build when off wanted", func(d *FirmwareDescriptor) { d.Features = []string{"secure-boot"} }, q, "secure-boot build"},
		{"vars missing", func(d *FirmwareDescriptor) { d.Mapping.NVRAMTemplate.Filename = "/nope.fd" }, q, "missing testdata/debian12/nope.fd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := base()
			tc.change(&d)
			if got := h.rejectDescriptor(d, tc.q); got != tc.want {
				t.Fatalf("rejectDescriptor = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMachineMatches(t *testing.T) {
	tests := []struct {
		glob, machine string
		want          bool
	}{
		{"pc-q35-*", "q35", true},
		{"pc-q35-*", "pc-q35-7.2", true},
		{"pc-q35-*", "pc", false},
		{"pc-i440fx-*", "pc", true},
		{"pc-i440fx-*", "pc-i440fx-7.2", true},
		{"pc-i440fx-*", "q35", false},
		{"pc-q35-7.*", "pc-q35-8.0", false},
		{"virt-*", "virt-7.2", true},
		{"[", "q35", false}, // bad glob: no match, no panic
	}
	for _, tc := range tests {
		if got := machineMatches(tc.glob, tc.machine); got != tc.want {
			t.Errorf("machineMatches(%q, %q) = %v, want %v", tc.glob, tc.machine, got, tc.want)
		}
	}
}

func TestOVMF(t *testing.T) {
	tests := []struct {
		fixture    string
		secureBoot bool
		code, vars string
		wantErr    string
	}{
		{"debian12", true, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", ""},
		{"debian12", false, "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", ""},
		{"bigbox", false, "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd", ""},
		{"bare", false, "", "", "ovmf: no UEFI firmware for x86_64 q35, secure boot off"},
	}
	for _, tc := range tests {
		code, vars, err := fixture(tc.fixture).OVMF(tc.secureBoot)
		if tc.wantErr != "" {
			wantErr(t, err, tc.wantErr)
			continue
		}
		if err != nil || code != tc.code || vars != tc.vars {
			t.Errorf("%s OVMF(%v) = %s, %s, %v; want %s, %s", tc.fixture, tc.secureBoot, code, vars, err, tc.code, tc.vars)
		}
	}
}

// TestOVMFOnThisHost checks the real /usr/share against Debian's ovmf, when installed.
func TestOVMFOnThisHost(t *testing.T) {
	if _, err := os.Stat("/usr/share/OVMF/OVMF_CODE_4M.fd"); err != nil {
		t.Skip("Debian's ovmf package is not installed")
	}
	h := NewHost()
	for _, sb := range []bool{false, true} {
		f, err := h.FindFirmware(FirmwareQuery{Arch: "x86_64", Machine: "q35", SecureBoot: sb})
		if err != nil {
			t.Fatalf("secure boot %v: %v", sb, err)
		}
		if f.SecureBoot != sb || f.RequiresSMM != sb {
			t.Errorf("secure boot %v: got %+v", sb, f)
		}
		for _, p := range []string{f.Code, f.VarsTemplate} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("secure boot %v: %v", sb, err)
			}
		}
	}
}
