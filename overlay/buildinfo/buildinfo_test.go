package buildinfo

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestUpstreamReleaseCurrent: the generated copy is upstream/UPSTREAM's
// (run `go generate ./overlay/buildinfo` after `strata import`).
func TestUpstreamReleaseCurrent(t *testing.T) {
	f, err := os.Open("../../upstream/UPSTREAM")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		want[k] = v
	}
	if want["name"] != UpstreamName || want["version"] != UpstreamRelease {
		t.Fatalf("upstream_release.go has %s %s, upstream/UPSTREAM says %s %s: run go generate ./overlay/buildinfo",
			UpstreamName, UpstreamRelease, want["name"], want["version"])
	}
}

func TestIsVersionArg(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, false}, {[]string{"version"}, true}, {[]string{"--version"}, true}, {[]string{"-version"}, true},
		{[]string{"serve", "--version"}, false}, {[]string{"render"}, false},
	} {
		if got := IsVersionArg(tc.args); got != tc.want {
			t.Errorf("IsVersionArg(%q) = %v", tc.args, got)
		}
	}
}

func TestString(t *testing.T) {
	s := Read("strata-agent").String()
	for _, part := range []string{"strata-agent", "go1.", "upstream kvmagent " + UpstreamRelease} {
		if !strings.Contains(s, part) {
			t.Errorf("%q lacks %q", s, part)
		}
	}
}
