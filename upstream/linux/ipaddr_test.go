package linux

import (
	"net"
	"reflect"
	"testing"
)

func TestIPv4Strings(t *testing.T) {
	cidr := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	addrs := []net.Addr{
		cidr("127.0.0.1/8"),
		cidr("127.0.0.2/8"), // the seed drops only the literal 127.0.0.1
		cidr("10.0.0.21/24"),
		cidr("fe80::1/64"),
		cidr("192.168.1.5/32"),
		&net.IPAddr{IP: net.ParseIP("10.9.9.9")}, // not an IPNet: ignored
	}
	want := []string{"127.0.0.2", "10.0.0.21", "192.168.1.5"}
	if got := ipv4Strings(addrs); !reflect.DeepEqual(got, want) {
		t.Fatalf("ipv4Strings = %v, want %v", got, want)
	}
}

func TestGetIPv4Addresses(t *testing.T) {
	ips, err := GetIPv4Addresses()
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range ips {
		if ip == "127.0.0.1" || net.ParseIP(ip).To4() == nil {
			t.Errorf("unexpected address %q", ip)
		}
	}
}
