package vmplugin

import (
	"encoding/xml"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/upstream/uuidhelper"
)

// ZSNamespace is the namespace of the seed's <zs:zstack> metadata element.
const ZSNamespace = "http://zstack.org"

// MakeMeta is make_meta: identity, lifecycle actions, the zstack metadata
// and the clock.
func MakeMeta(c *BuildContext) error {
	cmd, d := c.Cmd, c.Domain
	d.Name = cmd.VMInstanceUUID
	d.UUID = uuidhelper.ToFullUUID(cmd.VMInstanceUUID)
	d.Description = cmd.VMName
	d.OnPoweroff = "destroy"
	d.OnCrash = "restart"
	d.OnReboot = "restart"
	d.Metadata = &libvirtxml.DomainMetadata{XML: zstackMetadata(strconv.FormatInt(cmd.VMInternalID, 10), cmd.HostManagementIP)}

	d.Clock = &libvirtxml.DomainClock{Offset: cmd.Clock}
	if cmd.Clock == "localtime" {
		d.Clock.Timer = []libvirtxml.DomainTimer{
			{Name: "rtc", TickPolicy: "catchup"},
			{Name: "pit", TickPolicy: "delay"},
			{Name: "hpet", Present: "no"},
			{Name: "hypervclock", Present: "yes"},
		}
	}
	return nil
}

// zstackMetadata renders <zs:zstack> with its two children. Only the
// wrapper is in the zs namespace: the seed creates the children with plain
// tags, and readers (the reboot callback, delete_stale_chains) look them up
// that way. The declaration sits on zs:zstack because DomainMetadata holds
// inner XML only; the seed had it on <domain>, which is the same document.
func zstackMetadata(internalID, hostIP string) string {
	var b strings.Builder
	b.WriteString(`<zs:zstack xmlns:zs="` + ZSNamespace + `">`)
	writeTextElement(&b, "internalId", internalID)
	writeTextElement(&b, "hostManagementIp", hostIP)
	b.WriteString(`</zs:zstack>`)
	return b.String()
}

func writeTextElement(b *strings.Builder, tag, text string) {
	b.WriteString("<" + tag + ">")
	// EscapeText only fails on a failing writer; strings.Builder never does.
	_ = xml.EscapeText(b, []byte(text))
	b.WriteString("</" + tag + ">")
}
