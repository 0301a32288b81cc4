// Package authn is strata-agent's optional authentication, per port: a
// bearer token read from a file, or mutual TLS (a server certificate and
// the CA that client certificates must chain to), or both. Both are off by
// default, because a stock management node sends neither: turn them on
// only where the caller is configured to present them.
package authn

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"
)

// Config is one port's authentication settings; the zero value is off.
type Config struct {
	TokenFile    string // a file holding the bearer token (surrounding white space ignored)
	CertFile     string // the port's TLS certificate (PEM); with KeyFile, the port speaks TLS
	KeyFile      string
	ClientCAFile string // CA bundle (PEM) client certificates must chain to: mutual TLS
}

// Enabled says whether any authentication is configured.
func (c Config) Enabled() bool { return c.TokenFile != "" || c.ClientCAFile != "" }

// Auth is a loaded Config.
type Auth struct {
	tokenSum [sha256.Size]byte
	token    bool
	tls      *tls.Config
}

// Load reads the files c names. A nil *Auth (no error) means off.
func Load(c Config) (*Auth, error) {
	if c == (Config{}) {
		return nil, nil
	}
	a := &Auth{}
	if c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("token file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if len(tok) < 16 {
			return nil, fmt.Errorf("token file %s: the token must be at least 16 characters", c.TokenFile)
		}
		a.tokenSum, a.token = sha256.Sum256([]byte(tok)), true
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("cert_file and key_file go together")
	}
	if c.ClientCAFile != "" && c.CertFile == "" {
		return nil, errors.New("client_ca_file (mutual TLS) needs cert_file and key_file")
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate: %w", err)
		}
		a.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if c.ClientCAFile != "" {
			pem, err := os.ReadFile(c.ClientCAFile)
			if err != nil {
				return nil, fmt.Errorf("client CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("client CA %s: no PEM certificate", c.ClientCAFile)
			}
			a.tls.ClientCAs, a.tls.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
	}
	return a, nil
}

// Listener wraps l in TLS when a certificate is configured.
func (a *Auth) Listener(l net.Listener) net.Listener {
	if a == nil || a.tls == nil {
		return l
	}
	return tls.NewListener(l, a.tls)
}

// check is nil when r carries the token (or no token is required).
func (a *Auth) check(r *http.Request) error {
	if a == nil || !a.token {
		return nil
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return errors.New("authorization required: Authorization: Bearer <token>")
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	if subtle.ConstantTimeCompare(sum[:], a.tokenSum[:]) != 1 {
		return errors.New("authorization refused: wrong token")
	}
	return nil
}

// Gin is the check as a gin middleware, answering 401 with the stock JSON
// failure envelope; add it before any URI is registered.
func (a *Auth) Gin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := a.check(c.Request); err != nil {
			c.Header("WWW-Authenticate", `Bearer realm="strata-agent"`)
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"success": false, "error": err.Error()})
			return
		}
		c.Next()
	}
}

// Handler is the check in front of next.
func (a *Auth) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.check(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="strata-agent"`)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IsLoopback says whether addr (host:port) binds only loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
