package provenance_test

import (
	"slices"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/strataagent/strata/overlay/provenance"
)

// TestRecMatchesXML: edits reported through Rec give the XML diff's
// changes, in its order.
func TestRecMatchesXML(t *testing.T) {
	tests := []struct {
		name string
		edit func(d *libvirtxml.Domain, r *provenance.Rec)
	}{
		{"an attribute of each disk's driver", func(d *libvirtxml.Domain, r *provenance.Rec) {
			was := slices.Clone(d.Devices.Disks)
			for i := range d.Devices.Disks {
				var drv libvirtxml.DomainDiskDriver
				if was[i].Driver != nil {
					drv = *was[i].Driver
				}
				drv.IO = "threads"
				d.Devices.Disks[i].Driver = &drv
			}
			r.Changed("/domain/devices", d.Devices, provenance.Before("disk", was))
		}},
		{"disks renamed and a controller added: removals first", func(d *libvirtxml.Domain, r *provenance.Rec) {
			disks, ctls := slices.Clone(d.Devices.Disks), slices.Clone(d.Devices.Controllers)
			for i := range d.Devices.Disks {
				tgt := *d.Devices.Disks[i].Target
				tgt.Dev = "x" + tgt.Dev
				d.Devices.Disks[i].Target = &tgt
			}
			d.Devices.Controllers = append(ctls[:len(ctls):len(ctls)], libvirtxml.DomainController{Type: "sata"})
			d.Devices.Controllers = d.Devices.Controllers[1:]
			// given out of order: recorded in the element's
			r.Changed("/domain/devices", d.Devices, provenance.Before("controller", ctls), provenance.Before("disk", disks))
		}},
		{"elements added under the root, text and namespaced", func(d *libvirtxml.Domain, r *provenance.Rec) {
			wasIOT, wasMD := d.IOThreads, d.Metadata
			d.IOThreads = 4
			md := libvirtxml.DomainMetadata{}
			if wasMD != nil {
				md = *wasMD
			}
			md.XML += `<strata:tags xmlns:strata="https://strata.dev/xmlns/1"><tag name="a" value="b"/></strata:tags>`
			d.Metadata = &md
			r.Changed("/domain", d, provenance.Before("iothreads", wasIOT), provenance.Before("metadata", wasMD))
		}},
		{"an element appended to the metadata, prefixed", func(d *libvirtxml.Domain, r *provenance.Rec) {
			frag := `<strata:tags xmlns:strata="https://strata.dev/xmlns/1"><tag name="a" value="b"/></strata:tags>`
			md := *d.Metadata
			md.XML += frag
			d.Metadata = &md
			r.AddedXML("/domain/metadata", frag)
		}},
		{"an element appended to the metadata, its namespace the default", func(d *libvirtxml.Domain, r *provenance.Rec) {
			frag := `<tags xmlns="https://strata.dev/xmlns/1" team="a&amp;b"></tags>`
			md := *d.Metadata
			md.XML += frag
			d.Metadata = &md
			r.AddedXML("/domain/metadata", frag)
		}},
		{"an element removed", func(d *libvirtxml.Domain, r *provenance.Rec) {
			was := d.Devices.Channels
			d.Devices.Channels = nil
			r.Changed("/domain/devices", d.Devices, provenance.Before("channel", was))
		}},
		{"nothing changed", func(d *libvirtxml.Domain, r *provenance.Rec) {
			r.Changed("/domain/devices", d.Devices, provenance.Before("disk", d.Devices.Disks))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := stockDomain(t, "../layers/testdata/everything.json")
			before, _ := copyOf(t, d)
			r := provenance.NewRec(nil, true)
			tc.edit(d, r)
			got, err := r.Changes()
			if err != nil {
				t.Fatal(err)
			}
			want := xmlDiff(t, &before, d, provenance.ScopeOf([]string{"/domain"}))
			if g, w := lines(got), lines(want); g != w {
				t.Errorf("reported\n%s\nXML diff\n%s", g, w)
			}
		})
	}
}

func TestRecRefuses(t *testing.T) {
	tests := []struct {
		name   string
		parent any
		before []provenance.Field
		want   string
	}{
		{"not a pointer", libvirtxml.Domain{}, nil, "not a pointer to an element's struct"},
		{"a nil pointer", (*libvirtxml.Domain)(nil), nil, "not a pointer to an element's struct"},
		{"no such child", &libvirtxml.Domain{}, []provenance.Field{provenance.Before("nosuch", nil)}, `has no child element "nosuch"`},
		{"a value of another type", &libvirtxml.Domain{}, []provenance.Field{provenance.Before("iothreads", "4")}, "was given as string, not uint"},
		{"a child given twice", &libvirtxml.Domain{}, []provenance.Field{provenance.Before("title", ""), provenance.Before("title", "")}, "title is given twice"},
	}
	r := provenance.NewRec(nil, true)
	r.AddedXML("/domain/metadata", "<a/><b/>")
	if _, err := r.Changes(); err == nil || !strings.Contains(err.Error(), "the added XML is not one element") {
		t.Errorf("two elements as one: %v", err)
	}
	for _, tc := range tests {
		r := provenance.NewRec(nil, true)
		r.Changed("/domain", tc.parent, tc.before...)
		r.Changed("/domain", &libvirtxml.Domain{Title: "x"}, provenance.Before("title", "")) // after an error, nothing
		out, err := r.Changes()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "provenance: recording /domain: ") || len(out) != 0 {
			t.Errorf("%s: %v (changes %v), want %q", tc.name, err, out, tc.want)
		}
	}
}
