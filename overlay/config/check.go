package config

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/strataagent/strata/overlay/declarative"
	"github.com/strataagent/strata/upstream/agent"
)

// readBounded reads r whole, refusing more than limit bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	src, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(src)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return src, nil
}

// checkDoc refuses what koanf would pass over in silence: a key no setting
// has (a typo keeps its default) and a value of the wrong type (koanf reads
// "abc" as 0). Each error names the file, the line and the key. The stock
// agent ignores both; the overlay agent, which a team configures by hand,
// does not.
func checkDoc(path string, doc *yamlv3.Node, table []agent.Setting, lists map[string]bool) error {
	if doc == nil || len(doc.Content) == 0 {
		return nil
	}
	byKey := map[string]agent.Setting{}
	for _, s := range table {
		byKey[s.Key] = s
	}
	var errs []error
	var walk func(n *yamlv3.Node, prefix string)
	walk = func(n *yamlv3.Node, prefix string) {
		if n.Kind != yamlv3.MappingNode {
			errs = append(errs, fmt.Errorf("%s:%d: %s: a mapping of settings is expected here", path, n.Line, orRoot(prefix)))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			if prefix != "" {
				key = prefix + "." + k.Value
			}
			if key == declarative.ConfigKey {
				continue // checked, with its own line numbers, by declarative.Load
			}
			s, known := byKey[key]
			switch {
			case known:
				if err := checkValue(s, v, lists[s.Key] || s.Key == "vm.managed_dirs"); err != nil {
					errs = append(errs, fmt.Errorf("%s:%d: %s: %w", path, v.Line, key, err))
				}
			case v.Kind == yamlv3.MappingNode && isPrefix(key, byKey):
				walk(v, key)
			default:
				errs = append(errs, fmt.Errorf("%s:%d: %s: unknown setting (strata-agent --help lists them)", path, k.Line, key))
			}
		}
	}
	walk(doc.Content[0], "")
	return errors.Join(errs...)
}

func orRoot(prefix string) string {
	if prefix == "" {
		return "the top level"
	}
	return prefix
}

// isPrefix reports whether some setting lives under key.
func isPrefix(key string, byKey map[string]agent.Setting) bool {
	if strings.HasPrefix(declarative.ConfigKey, key+".") {
		return true
	}
	for k := range byKey {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// checkValue checks a YAML value against the type of the setting's default.
func checkValue(s agent.Setting, v *yamlv3.Node, list bool) error {
	if v.Kind == yamlv3.SequenceNode && list {
		for _, item := range v.Content {
			if item.Kind != yamlv3.ScalarNode {
				return fmt.Errorf("list items must be plain values")
			}
		}
		return nil
	}
	if v.Kind != yamlv3.ScalarNode {
		return fmt.Errorf("a single value is expected, not a list or mapping")
	}
	var err error
	var want string
	switch s.Default.(type) {
	case int, int64:
		_, err = strconv.ParseInt(v.Value, 10, 64)
		want = "a whole number"
	case bool:
		_, err = strconv.ParseBool(v.Value)
		want = "true or false"
	case time.Duration:
		_, err = time.ParseDuration(v.Value)
		want = "a duration such as 30s or 5m"
	}
	if err != nil {
		return fmt.Errorf("%q is not %s (default %v)", v.Value, want, s.Default)
	}
	return nil
}

// annotate prefixes each line of err that starts with a key the file sets
// ("vm.domain_type: ...", as Config.Validate words them) with file:line.
// It is the one annotator of setting errors; declarative.AnnotateDoc is
// its counterpart for the layers' entries.
func annotate(err error, path string, doc *yamlv3.Node) error {
	if err == nil || path == "" || doc == nil || len(doc.Content) == 0 {
		return err
	}
	lines := map[string]int{}
	var walk func(n *yamlv3.Node, prefix string)
	walk = func(n *yamlv3.Node, prefix string) {
		if n.Kind != yamlv3.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			lines[key] = n.Content[i+1].Line
			walk(n.Content[i+1], key)
		}
	}
	walk(doc.Content[0], "")
	out := strings.Split(err.Error(), "\n")
	changed := false
	for i, l := range out {
		// "key: ..." or "key value / other ...: ..." (a bound on two keys).
		head, _, _ := strings.Cut(l, ":")
		fields := strings.Fields(head)
		if len(fields) == 0 {
			continue
		}
		key, _, _ := strings.Cut(fields[0], "[") // layers.qemu_args.allow[2]
		if line, set := lines[key]; set {
			out[i] = fmt.Sprintf("%s:%d: %s", path, line, l)
			changed = true
		}
	}
	if !changed {
		return err
	}
	return errors.New(strings.Join(out, "\n"))
}
