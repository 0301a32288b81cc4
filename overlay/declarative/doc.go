// Package declarative turns the agent's config entries under
// layers.declarative into patch layers (overlay/layer), so an operator
// changes domains without a rebuild, in virt-xml's vocabulary.
//
// # Syntax
//
//	layers:
//	  declarative:
//	    - name: data-disk-native-io      # unique among all layers
//	      doc: native AIO on every VM's vdb
//	      after: disk-tuning             # or before: <a Go layer>; exactly one
//	      overrides: [disk-tuning]       # optional: an acknowledged win
//	      select:                        # every criterion given must hold
//	        name: "web-*"                # path.Match glob over vmName ("*": all VMs)
//	        uuid: 5d1f7c3a-9b2e-...      # vmInstanceUuid, dashes optional
//	        tag: role=frontend           # ex.tags key=value
//	      ops:
//	        - path: devices/disk/driver  # relative to /domain ("/domain" is the root)
//	          match: target.dev=vdb      # or a list; all must hold
//	          set: {io: native, discard: unmap}
//	        - path: devices/disk
//	          match: device=cdrom
//	          all: true
//	          delete: true
//	        - path: features/pmu
//	          create: {state: "off"}
//	        - path: devices/interface
//	          merge: '<interface><driver name="qemu" queues="4"/></interface>'
//	        - path: devices/interface          # a second NIC
//	          add: '<interface type="bridge"><source bridge="br1"/><model type="virtio"/></interface>'
//	        - path: devices/disk/driver
//	          match: target.dev=vda
//	          require: true                    # a VM without vda fails its start
//	          set: {cache: none}
//
// An op has a path, a device selector and exactly one operation, and
// optionally require: true.
//
// The device selector: under devices/<kind> it picks devices of that kind
// and the rest of the path is found inside each (devices/interface/driver
// with match mac.address=... edits that NIC's driver); elsewhere it picks
// among the elements at the path (cputune/vcpupin with match vcpu=0).
// match (property=value, several ANDed; an empty value matches an absent
// property) filters, then first (the default), nth: N (1-based) or all
// picks. Properties are dotted, virt-xml style: "device" is an attribute,
// "target.dev" an attribute of a sub-element, "serial.#text" a text.
// Nothing selected is not an error: the op does nothing for that VM, unless
// it says require: true, which fails the request naming the op. Coverage
// counts, over a corpus of start commands, which ops select anything.
//
// Operations, each one type in ops.go registered in its operations list,
// each mirroring virt-xml (the table in virtxml_test.go names the command):
//   - set: property -> value; sub-elements are created as needed, an empty
//     value unsets. A missing target outside devices is created when the
//     selector is the default one (features/pmu, os/loader). boot.order on
//     a device removes <os><boot dev=...>, as virt-xml does.
//   - unset: a list of properties; sub-elements left empty are removed.
//     Unsetting the text of an element that holds only text (cputune/shares,
//     vcpu, currentMemory, description) removes the element.
//   - create: {attr: value} (`{}` for none): the element is added when
//     missing, an existing one is left alone. No selector.
//   - delete: true: the selected elements are removed; deleting the last
//     serial port removes the console that mirrors it (libvirt would
//     recreate the serial from it).
//   - merge: an XML fragment with one root, named like the path's last
//     element: attributes are set, text replaced, each child merged into
//     the first child of the same name (and namespace) or appended.
//   - add: an XML fragment appended as a new element at the path (a second
//     NIC, disk, channel, cputune/vcpupin), after the last of its kind. No
//     selector.
//
// Refused at load: writes to /domain/name and /domain/uuid (the agent finds
// VMs by them), namespace declarations as properties (set: {xmlns: ...}),
// fragments with two roots or that change nothing, and configs beyond the
// bounds in bounds.go (entries, ops, path length and depth, keys, values,
// fragment size), each naming the field and the bound.
//
// # Values as written, checked against libvirt's schema
//
// LoadNode (and LoadFile, which reads the file once) decode from the
// yaml.v3 node, so `version: 2.0` is "2.0"; Load, from koanf, gets values
// as koanf parsed them. Every op is applied to a probe domain and the
// result validated with libvirt's RelaxNG schema (schema.go), so a value
// libvirt refuses is refused at load:
//
//	agent.yaml:11: layers.declarative[0].ops[0].set[io] "native-io": "nativ": libvirt's domain schema refuses the result
//
// # Nothing dropped silently
//
// libvirtxml does not model every libvirt element. Validate round-trips
// whatever an op names (path, match and set properties, fragments) through
// libvirtxml.Domain in a skeleton domain and refuses, naming it, what does
// not come back:
//
//	layers.declarative[2].ops[0].merge "ovs-port": element <foo> under devices/interface is not part of libvirt's domain model as libvirtxml knows it
//
// At a request, ops run on the marshalled Domain (etree); the result is read
// back into a new Domain and compared again, and a loss fails the request
// (an element valid for one device variant only, say a network disk's
// source on a file disk, passes the load-time check and is caught here).
//
// # Order, writes, reload
//
// Place inserts each entry before/after its Go layer. Layer.Writes are
// derived from the ops in layer.go's declared form: set and unset write
// ".../@attr" (or the element, for text), create and delete the element,
// merge and add every element and attribute of the fragment (and the
// element, for its text or the one added). A Set holds the
// current order behind an atomic pointer; Reload validates first and keeps
// the old order on error. LoadFile and Annotate put file:line in errors.
package declarative
