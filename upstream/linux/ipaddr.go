package linux

import (
	"fmt"
	"net"
)

// GetIPv4Addresses is the host fact's ipAddresses: every IPv4 address of
// every interface except 127.0.0.1 (the seed drops only that one literal).
func GetIPv4Addresses() ([]string, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	ips := []string{}
	for _, ifc := range ifaces {
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, fmt.Errorf("list the addresses of %s: %w", ifc.Name, err)
		}
		ips = append(ips, ipv4Strings(addrs)...)
	}
	return ips, nil
}

func ipv4Strings(addrs []net.Addr) []string {
	var out []string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip4 := n.IP.To4()
		if ip4 == nil || ip4.String() == "127.0.0.1" {
			continue
		}
		out = append(out, ip4.String())
	}
	return out
}
