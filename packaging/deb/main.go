// Command deb builds strata-agent's Debian package with nfpm as a Go
// library (no downloaded binaries):
//
//	go run ./packaging/deb [-o dist] [-version 0.1.0]
//
// It builds cmd/strata-agent, generates the default configuration
// (`strata-agent config default`) and the man page (from `--help`), and
// packages them with the systemd unit (packaging/strata-agent.service):
//
//	/usr/bin/strata-agent
//	/lib/systemd/system/strata-agent.service
//	/etc/strata/agent.yaml                 (a conffile: an edited one is kept on upgrade;
//	                                        libvirt.uri set to qemu:///system, the rest at the defaults)
//	/usr/share/man/man8/strata-agent.8.gz
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

func main() {
	out := flag.String("o", "dist", "output directory")
	version := flag.String("version", "0.1.0", "package version (Debian syntax)")
	flag.Parse()
	path, err := Build(Options{Root: ".", OutDir: *out, Version: *version, Log: os.Stderr})
	if err != nil {
		fmt.Fprintf(os.Stderr, "deb: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

// Options say where the module is and where the package goes.
type Options struct {
	Root    string // the module's root directory
	OutDir  string
	Version string
	Log     io.Writer
}

// Build writes the .deb and returns its path.
func Build(o Options) (string, error) {
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return "", err
	}
	work, err := os.MkdirTemp("", "strata-deb-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "strata-agent")
	build := exec.Command("go", "build", "-buildvcs=auto", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/strata-agent")
	build.Dir, build.Stdout, build.Stderr = root, o.Log, o.Log
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	conf, err := output(bin, "config", "default")
	if err != nil {
		return "", err
	}
	// The built-in default is test:///default (it needs no daemon); a
	// packaged agent is for the real host.
	const builtin, packaged = "  uri: test:///default\n", "  uri: qemu:///system # packaged for the real host; the built-in default is test:///default\n"
	if !bytes.Contains(conf, []byte(builtin)) {
		return "", fmt.Errorf("config default has no %q line to set for the package", strings.TrimSpace(builtin))
	}
	conf = bytes.Replace(conf, []byte(builtin), []byte(packaged), 1)
	help, err := output(bin, "--help")
	if err != nil {
		return "", err
	}
	confPath := filepath.Join(work, "agent.yaml")
	manPath := filepath.Join(work, "strata-agent.8.gz")
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(manPath, gz(ManPage(string(help), o.Version)), 0o644); err != nil {
		return "", err
	}
	info := nfpm.WithDefaults(&nfpm.Info{
		Name:        "strata-agent",
		Arch:        runtime.GOARCH,
		Platform:    "linux",
		Version:     o.Version,
		Section:     "admin",
		Priority:    "optional",
		Maintainer:  "strata <strata@localhost>",
		Description: "KVM host agent: the stock kvmagent API and strata's extended /ex/ API",
		Homepage:    "https://github.com/strataagent/strata",
		License:     "Apache-2.0",
		Overridables: nfpm.Overridables{
			Depends:    []string{"libvirt0", "qemu-utils"},
			Recommends: []string{"libvirt-daemon-system", "qemu-system-x86", "ovmf"},
			Contents: files.Contents{
				{Source: bin, Destination: "/usr/bin/strata-agent", FileInfo: &files.ContentFileInfo{Mode: 0o755}},
				{Source: filepath.Join(root, "packaging", "strata-agent.service"), Destination: "/lib/systemd/system/strata-agent.service",
					FileInfo: &files.ContentFileInfo{Mode: 0o644}},
				{Source: confPath, Destination: "/etc/strata/agent.yaml", Type: files.TypeConfig, FileInfo: &files.ContentFileInfo{Mode: 0o640}},
				{Source: manPath, Destination: "/usr/share/man/man8/strata-agent.8.gz", FileInfo: &files.ContentFileInfo{Mode: 0o644}},
			},
		},
	})
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", fmt.Errorf("nfpm: %w", err)
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(o.OutDir, deb.Default.ConventionalFileName(info))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		return "", fmt.Errorf("nfpm deb: %w", err)
	}
	return path, f.Close()
}

func output(bin string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // no STRATA_ setting of the builder's leaks in
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("strata-agent %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// ManPage is strata-agent(8): NAME, SYNOPSIS, and --help verbatim as the
// DESCRIPTION, so it says exactly what the binary does.
func ManPage(help, version string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH STRATA-AGENT 8 \"\" \"strata-agent %s\" \"System Administration\"\n", esc(version))
	b.WriteString(".SH NAME\nstrata-agent \\- KVM host agent: the stock kvmagent API and strata's /ex/ API\n")
	b.WriteString(".SH SYNOPSIS\n.B strata-agent\n[serve|render|layers|config|doctor|version|help] [flags]\n")
	b.WriteString(".SH DESCRIPTION\n.nf\n")
	for _, line := range strings.Split(strings.TrimRight(help, "\n"), "\n") {
		line = esc(line)
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			line = "\\&" + line
		}
		b.WriteString(line + "\n")
	}
	b.WriteString(".fi\n.SH FILES\n.TP\n/etc/strata/agent.yaml\nthe configuration (every setting, commented)\n")
	b.WriteString(".TP\n/lib/systemd/system/strata-agent.service\nthe unit; systemctl reload sends SIGHUP\n")
	b.WriteString(".SH SEE ALSO\n.BR virsh (1),\n.BR systemctl (1),\n.BR journalctl (1)\n")
	return []byte(b.String())
}

func esc(s string) string { return strings.ReplaceAll(s, `\`, `\e`) }
