// Command startvm measures the stock agent's /vm/start against virsh on one
// libvirtd: each run starts a fresh, seed-shaped VM (empty qcow2 root, VNC),
// waits for it to run, and destroys it. See bench/start_vs_virsh.sh.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"libvirt.org/go/libvirt"

	"github.com/strataagent/strata/upstream/agent"
	"github.com/strataagent/strata/upstream/virtconn"
	"github.com/strataagent/strata/upstream/vmplugin"
)

func main() {
	runs := flag.Int("runs", 10, "starts per method")
	uri := flag.String("uri", "qemu:///system", "libvirt URI")
	flag.Parse()
	if err := run(*runs, *uri); err != nil {
		fmt.Fprintln(os.Stderr, "startvm:", err)
		os.Exit(1)
	}
}

func run(runs int, uri string) error {
	dir, err := os.MkdirTemp("", "strata-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	domainType := "qemu"
	if c, err := libvirt.NewConnect(uri); err == nil {
		caps, _ := c.GetCapabilities()
		if strings.Contains(caps, "<domain type='kvm'") {
			domainType = "kvm"
		}
		c.Close()
	} else {
		return fmt.Errorf("libvirt %s: %w", uri, err)
	}

	cfg := agent.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.LibvirtURI = uri
	cfg.DomainType = domainType
	cfg.Arch = vmplugin.ArchX86_64
	a, err := agent.New(cfg, agent.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	agentAddr, err := a.Listen()
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	defer func() { stop(); <-served }()
	conn, plugin := a.Conn(), a.VmPlugin()

	done := make(chan string, 1)
	cbL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(cbL, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		done <- string(body)
	}))
	callbackURL := "http://" + cbL.Addr().String() + "/zstack/asyncrest/callback"

	var agentTimes, virshTimes []time.Duration
	for i := 0; i < runs; i++ {
		cmd := command(dir, i, domainType)
		if err := image(cmd.RootVolume.InstallPath); err != nil {
			return err
		}
		body, _ := json.Marshal(cmd)
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, "http://"+agentAddr.String()+"/vm/start", bytes.NewReader(body))
		req.Header.Set("taskuuid", fmt.Sprintf("%032x", time.Now().UnixNano()))
		req.Header.Set("callbackurl", callbackURL)
		req.Header.Set("Content-Type", "application/json;charset=utf-8")
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		rsp.Body.Close()
		reply := <-done
		agentTimes = append(agentTimes, time.Since(start))
		if !strings.Contains(reply, `"success":true`) {
			return fmt.Errorf("agent start failed: %s", reply)
		}
		cleanup(conn, cmd.VMInstanceUUID)

		// virsh: the same XML the agent defined, as a file.
		vm, err := plugin.FromStartVmCmd(context.Background(), cmd)
		if err != nil {
			return err
		}
		xmlPath := filepath.Join(dir, cmd.VMInstanceUUID+".xml")
		if err := os.WriteFile(xmlPath, []byte(vm.DomainXML), 0o644); err != nil {
			return err
		}
		start = time.Now()
		if out, err := exec.Command("virsh", "-c", uri, "define", xmlPath).CombinedOutput(); err != nil {
			return fmt.Errorf("virsh define: %v: %s", err, out)
		}
		if out, err := exec.Command("virsh", "-c", uri, "start", cmd.VMInstanceUUID).CombinedOutput(); err != nil {
			return fmt.Errorf("virsh start: %v: %s", err, out)
		}
		virshTimes = append(virshTimes, time.Since(start))
		cleanup(conn, cmd.VMInstanceUUID)
	}
	am, v := median(agentTimes), median(virshTimes)
	fmt.Printf("runs: %d, domain type: %s, libvirt: %s\n", runs, domainType, uri)
	fmt.Printf("agent /vm/start (POST to callback): median %v (min %v, max %v)\n", am, minOf(agentTimes), maxOf(agentTimes))
	fmt.Printf("virsh define + start:              median %v (min %v, max %v)\n", v, minOf(virshTimes), maxOf(virshTimes))
	fmt.Printf("ratio agent/virsh: %.2f\n", float64(am)/float64(v))
	return nil
}

func command(dir string, i int, domainType string) *vmplugin.StartVmCmd {
	uuid := fmt.Sprintf("be7c%028x", i)
	pw := "bench"
	return &vmplugin.StartVmCmd{
		VMInstanceUUID: uuid, VMInternalID: int64(1000 + i), VMName: "bench", Memory: 128 << 20,
		CPUNum: 1, SocketNum: 1, CPUOnSocket: 1, ConsolePassword: &pw, BootDev: []string{"hd"},
		RootVolume: &vmplugin.VolumeTO{InstallPath: filepath.Join(dir, uuid+".qcow2"), DeviceType: "file",
			VolumeUUID: uuid, UseVirtio: true, CacheMode: "none", WWN: "0x000f3a9c1e7b5d42"},
		BootIso: []vmplugin.IsoTO{}, DataVolumes: []vmplugin.VolumeTO{}, UseVirtio: true, ConsoleMode: "vnc",
		NestedVirtualization: "none", HostManagementIP: "127.0.0.1", Clock: "utc", VideoType: "cirrus",
		SpiceStreamingMode: "off", UsbRedirect: "false", VDIMonitorNumber: 1, UseBootMenu: true,
	}
}

func image(path string) error {
	if out, err := exec.Command("qemu-img", "create", "-f", "qcow2", path, "64M").CombinedOutput(); err != nil {
		return fmt.Errorf("qemu-img: %v: %s", err, out)
	}
	return nil
}

func cleanup(conn *virtconn.Conn, name string) {
	_ = conn.Do(func(c *libvirt.Connect) error {
		if d, err := c.LookupDomainByName(name); err == nil {
			d.Destroy()
			d.Undefine()
			d.Free()
		}
		return nil
	})
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func minOf(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}

func maxOf(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}
