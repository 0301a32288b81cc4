package layers

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/excmd"
	"github.com/strataagent/strata/overlay/layer"
)

// TagsNamespace is strata's own XML namespace in the domain metadata.
const TagsNamespace = "https://strata.dev/xmlns/1"

var tagName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,62}$`)

// Bounds on ex.tags: metadata is read by every libvirt client of the VM.
const (
	MaxTags        = 256
	MaxTagValueLen = 1024
)

var tagsBlock = &layer.Block[map[string]string]{Name: excmd.TagsKey, Validate: validateTags}

// Tags writes free-form tags into the domain metadata.
var Tags = layer.Layer{
	Name: "tags",
	Doc: `Free-form tags in the domain metadata, in strata's namespace, next to the stock zstack metadata.

	"ex": {"tags": {"team": "storage", "tier": "gold"}}

Written as <strata:tags xmlns:strata="https://strata.dev/xmlns/1"><tag
name="team" value="storage"/>...</strata:tags>, sorted by name. A name is
1-63 letters, digits and _.:/- starting with a letter or digit.`,
	Reads:   []string{"ex.tags"},
	Writes:  []string{"/domain/metadata/strata:tags"},
	Ex:      tagsBlock,
	Applies: func(c *layer.Context) bool { t := tagsBlock.In(c); return t != nil && len(*t) > 0 },
	Apply:   applyTags,
	Records: true,
}

func validateTags(t *map[string]string, _ *layer.Check) error {
	tags := *t
	if len(tags) > MaxTags {
		return fmt.Errorf("ex.tags: %d tags is more than %d", len(tags), MaxTags)
	}
	for _, k := range sortedKeys(tags) {
		if !tagName.MatchString(k) {
			return fmt.Errorf("ex.tags.%s: a tag name is 1-63 letters, digits and _.:/-, starting with a letter or digit", truncate(k))
		}
		if len(tags[k]) > MaxTagValueLen {
			return fmt.Errorf("ex.tags.%s: a value of %d bytes is more than %d", k, len(tags[k]), MaxTagValueLen)
		}
		if err := escapeAttr(&strings.Builder{}, tags[k]); err != nil {
			return fmt.Errorf("ex.tags.%s: %w", k, err)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func applyTags(c *layer.Context) error {
	tags, d := *tagsBlock.In(c), c.Domain
	names := sortedKeys(tags)
	var b strings.Builder
	b.WriteString(`<strata:tags xmlns:strata="` + TagsNamespace + `">`)
	for _, k := range names {
		b.WriteString(`<tag name="`)
		_ = xml.EscapeText(&b, []byte(k)) // a strings.Builder never fails
		b.WriteString(`" value="`)
		if err := escapeAttr(&b, tags[k]); err != nil {
			return fmt.Errorf("ex.tags.%s: %w", k, err)
		}
		b.WriteString(`"/>`)
	}
	b.WriteString(`</strata:tags>`)
	// DomainMetadata holds raw inner XML: append, so the stock <zs:zstack>
	// stays exactly as it was.
	was := d.Metadata
	// a new <metadata>: the old one stays as it was
	var md libvirtxml.DomainMetadata
	if was != nil {
		md = *was
	}
	if strings.Contains(md.XML, `"`+TagsNamespace+`"`) {
		return fmt.Errorf("ex.tags: the domain metadata already holds strata tags")
	}
	md.XML += b.String()
	d.Metadata = &md
	if was == nil {
		c.Changed("/domain", d, layer.Before("metadata", was))
	} else {
		c.AddedXML("/domain/metadata", b.String())
	}
	return nil
}

// escapeAttr escapes an attribute value; text XML cannot carry (control
// characters other than tab and newlines) is refused rather than mangled.
func escapeAttr(b *strings.Builder, v string) error {
	for _, r := range v {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("value holds %U, which XML cannot carry", r)
		}
	}
	return xml.EscapeText(b, []byte(v))
}
