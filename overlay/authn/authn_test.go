package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestBearer(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("  0123456789abcdef-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := Load(Config{TokenFile: file})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		header string
		ok     bool
	}{
		{"", false}, {"Bearer wrong-token-wrong-token", false}, {"Basic 0123456789abcdef-secret", false},
		{"Bearer 0123456789abcdef-secret", true},
	} {
		r, _ := http.NewRequest(http.MethodPost, "/x", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		if err := a.check(r); (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.header, err)
		}
	}
	if _, err := Load(Config{TokenFile: filepath.Join(dir, "short")}); err == nil {
		t.Error("a missing token file loaded")
	}
	if err := os.WriteFile(filepath.Join(dir, "short"), []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(Config{TokenFile: filepath.Join(dir, "short")}); err == nil {
		t.Error("a 3-character token loaded")
	}
	if a, err := Load(Config{}); a != nil || err != nil {
		t.Errorf("zero config: %v %v", a, err)
	}
}

type pair struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

func issue(t *testing.T, cn string, parent *pair, server bool) *pair {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	signer, signKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	} else {
		signer, signKey = parent.cert, parent.key
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		if server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &pair{cert: c, key: key, der: der}
}

func (p *pair) write(t *testing.T, dir, name string) (certFile, keyFile string) {
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	kb, _ := x509.MarshalECPrivateKey(p.key)
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := issue(t, "strata test CA", nil, false)
	caFile, _ := ca.write(t, dir, "ca")
	srvCert, srvKey := issue(t, "agent", ca, true).write(t, dir, "server")
	cliCert, cliKey := issue(t, "mn", ca, false).write(t, dir, "client")
	other := issue(t, "other CA", nil, false)
	strayCert, strayKey := issue(t, "stray", other, false).write(t, dir, "stray")

	a, err := Load(Config{CertFile: srvCert, KeyFile: srvKey, ClientCAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))}
	go srv.Serve(a.Listener(l))
	defer srv.Close()

	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	get := func(certFile, keyFile string) error {
		cfg := &tls.Config{RootCAs: roots}
		if certFile != "" {
			c, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{c}
		}
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		rsp, err := cl.Get("https://" + l.Addr().String() + "/")
		if err == nil {
			rsp.Body.Close()
			if rsp.StatusCode != 200 {
				return &net.AddrError{Err: rsp.Status}
			}
		}
		return err
	}
	if err := get(cliCert, cliKey); err != nil {
		t.Errorf("client certificate of the CA refused: %v", err)
	}
	if err := get("", ""); err == nil {
		t.Error("no client certificate accepted")
	}
	if err := get(strayCert, strayKey); err == nil {
		t.Error("a client certificate of another CA accepted")
	}
	if _, err := Load(Config{ClientCAFile: caFile}); err == nil {
		t.Error("mutual TLS without a server certificate loaded")
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:7072": true, "[::1]:7072": true, "localhost:7072": true,
		"0.0.0.0:7072": false, ":7072": false, "10.0.0.1:7072": false} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}
