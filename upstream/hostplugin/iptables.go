package hostplugin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// shellMeta are characters a rule may not hold. The seed ran each rule
// through bash; here a rule becomes argv, and a rule that needed a shell to
// mean what it says is refused rather than guessed at.
const shellMeta = ";|&$`<>(){}[]'\"\\*?~#!"

// splitRule turns one rule of iptablesRules into iptables' arguments. Like
// the seed it first strips the quotes the rule may be wrapped in; "!" (a
// negation) is allowed as a word of its own.
func splitRule(rule string) ([]string, error) {
	for _, c := range rule {
		if c != '\t' && (c < 0x20 || c == 0x7f) {
			return nil, fmt.Errorf("iptables rule %q contains the control character %q", rule, c)
		}
	}
	r := strings.Trim(strings.Trim(rule, "'"), `"`)
	args := strings.Fields(r)
	if len(args) == 0 {
		return nil, fmt.Errorf("iptables rule %q is empty", rule)
	}
	for _, a := range args {
		if a == "!" {
			continue
		}
		for _, c := range a {
			if strings.ContainsRune(shellMeta, c) {
				return nil, fmt.Errorf("iptables rule %q: %q contains the shell metacharacter %q", rule, a, c)
			}
		}
	}
	return args, nil
}

// checkArgs derives `iptables -C`'s arguments from a rule's: the seed drops
// the rule's first word (its -A/-I); a leading table option is kept and an
// -I position number dropped, since -C accepts neither in its place.
func checkArgs(rule string, args []string) ([]string, error) {
	var out []string
	i := 0
	for i+1 < len(args) && (args[i] == "-t" || args[i] == "--table") {
		out = append(out, args[i], args[i+1])
		i += 2
	}
	if i >= len(args) {
		return nil, fmt.Errorf("iptables rule %q has no command", rule)
	}
	rest := args[i+1:]
	switch args[i] {
	case "-A", "--append":
	case "-I", "--insert":
		if len(rest) >= 2 {
			if _, err := strconv.Atoi(rest[1]); err == nil {
				rest = append([]string{rest[0]}, rest[2:]...)
			}
		}
	default:
		return nil, fmt.Errorf("check iptables rule: %s failed: only -A and -I rules can be checked", rule)
	}
	return append(append(out, "-C"), rest...), nil
}

// applyIptablesRules is apply_iptables_rules: each rule that `iptables -C`
// does not find (exit 1) is added; any other outcome is an error. -w waits
// for the xtables lock, which the seed took itself.
func (p *HostPlugin) applyIptablesRules(ctx context.Context, rules []string) error {
	if len(rules) == 0 {
		return nil
	}
	// All rules are parsed before any is applied, so a bad one changes nothing.
	type parsed struct {
		rule        string
		args, check []string
	}
	all := make([]parsed, 0, len(rules))
	for _, rule := range rules {
		args, err := splitRule(rule)
		if err != nil {
			return err
		}
		check, err := checkArgs(rule, args)
		if err != nil {
			return err
		}
		all = append(all, parsed{rule, args, check})
	}
	p.iptablesMu.Lock()
	defer p.iptablesMu.Unlock()
	for _, r := range all {
		res, err := p.cfg.Runner.Run(ctx, append([]string{"iptables", "-w"}, r.check...)...)
		if err != nil {
			return fmt.Errorf("check iptables rule: %s failed: %w", r.rule, err)
		}
		switch res.ExitCode {
		case 0:
			continue // already there
		case 1:
		default:
			return fmt.Errorf("check iptables rule: %s failed: exit %d: %s", r.rule, res.ExitCode, strings.TrimSpace(res.Stderr))
		}
		res, err = p.cfg.Runner.Run(ctx, append([]string{"iptables", "-w"}, r.args...)...)
		if err == nil && res.ExitCode != 0 {
			err = errors.New(strings.TrimSpace(res.Stderr))
		}
		if err != nil {
			return fmt.Errorf("cannot set iptables rule: %s: %w", r.rule, err)
		}
	}
	return nil
}
