// Package upstream is the stock agent: a Go port of zstack-utility's
// kvmagent (vm_plugin, the linux helpers, the host plugin and the HTTP
// plumbing), kept as the vendor's code so that local changes live in
// overlay/ and linux2/ instead. Nothing here imports the rest of strata.
//
// # Domain XML: every deviation from the seed
//
// vmplugin.Build is a faithful port of Vm.from_StartVmCmd (the seed). Its
// XML differs from the seed's only in the rows below: where the seed's
// form fails libvirt's RelaxNG schema or its parser, where libvirtxml
// cannot hold it, or where Go cannot tell an absent JSON field from an
// empty one. Besides these, element order inside a parent follows
// libvirtxml's struct order rather than the seed's insertion order
// (libvirt reads either; row 4 is the one place the schema fixes an order).
//
//	| #  | where (seed step)                  | seed writes                                   | port writes                                      |
//	|----|------------------------------------|-----------------------------------------------|--------------------------------------------------|
//	| 1  | make_meta <metadata>               | xmlns:zs declared on <domain>                 | xmlns:zs declared on <zs:zstack>                 |
//	| 3  | make_usb_redirect, spicevmc channel| bare <address type="virtio-serial"/>          | no <address>                                     |
//	| 4  | make_usb_device <hostdev><source>  | children address, vendor, product             | vendor, product, address                         |
//	| 5  | fusionstor disks and ISO (nbd)     | <host name="unix" port="/tmp/nbd-socket"/>    | <host transport="unix" socket="/tmp/nbd-socket"/>|
//	| 6  | virtio-SCSI ceph/fusionstor disks  | <shareable/> twice                            | <shareable/> once                                |
//	| 7  | make_pci_device source <address>   | hex(): domain="0x0" bus="0x3" slot="0x0"      | "0x0000", "0x03", "0x00" (function "0x0")        |
//	| 8  | empty command strings              | attr="" or an empty element                   | attribute or element omitted (list below)        |
//	| 9  | hostManagementIp absent            | <hostManagementIp>None</hostManagementIp>     | <hostManagementIp></hostManagementIp>            |
//	| 10 | qxl with VDIMonitorNumber absent   | TypeError, no XML                             | no <video>                                       |
//	| 11 | zero socketNum, cpuOnSocket, cpuNum| sockets="0" cores="0"; NUMA current="0"       | attribute omitted                                |
//	| 12 | negative numbers                   | "-1" in the XML, refused by libvirt later     | build error naming the field                     |
//	| 13 | ScsiCeph (aarch64) w/o secretUuid  | uuid=None: TypeError at serialization         | build error naming the field                     |
//	| 14 | failures                           | Python exceptions (IndexError, ValueError)    | errors naming the field, e.g. bootIso[1].deviceId|
//
// Row 2 (multifunction="on" on the ich9-uhci1 controller) is gone since
// 2.3.2, whose make_usb_redirect writes no ICH9 controllers; the other rows
// keep their numbers.
//
// Why, row by row:
//
//  1. DomainMetadata holds inner XML only. Same namespace and names; the
//     two children stay un-namespaced, as the seed's readers expect.
//  3. The schema requires controller, bus and port with that address type;
//     without the element libvirt assigns the same virtio-serial port.
//  4. The schema's order. libvirtxml writes address, product, vendor;
//     MarshalDomain reorders the lines. libvirt's parser accepts any order.
//  5. libvirt refuses the seed's form ("failed to parse port number
//     '/tmp/nbd-socket'"), and so does the schema; this is its form for the
//     same UNIX socket.
//  6. make_volumes appends a second <shareable/> after the builder's. A
//     Domain holds one, the schema allows one, and libvirt only tests for
//     presence.
//  7. libvirtxml formats typed PCI addresses with fixed widths. Same values.
//  8. libvirtxml omits empty values and libvirt rejects most of them. Seed
//     attributes dropped when empty: disk driver cache (cacheMode), clock
//     offset (clock), vnc passwd (consolePassword "" rather than absent),
//     video model type (videoType), channel source path and target name,
//     network disk source name and host name and port (installPath,
//     monInfo hostname, iscsi portal). Elements
//     dropped: <description> (vmName), <wwn> (wwn), the <source> of an ISO
//     with an empty path, and spice <streaming> (spiceStreamingMode; its
//     mode attribute is required). Still written empty, as the seed does:
//     interface mac, source bridge and target dev, and os boot dev.
//  9. Go reads an absent string as "", where the seed's str(None) is "None".
//  10. Go reads the absent count as 0, so range(0) writes no card.
//  11. libvirtxml omits zero values; libvirt refuses 0 there anyway.
//  12. libvirtxml's unsigned fields cannot hold them: cpuNum, memory,
//     cputune shares, VolumeQos values, virtio-SCSI unit (deviceId), PCI
//     and USB bus/device numbers.
//  13. The seed fails too, with a traceback, but only when it serializes
//     the finished tree; so Build reports it after the last step, and an
//     error a later volume or step raises comes first, as in the seed.
//  14. KvmError texts are kept verbatim: "exceeds max disk limit, it's %d
//     but only 26 allowed", "unknown volume deviceType: %s", "unknown usb
//     controller %d", "cannot find usb device %s" (the seed passes the last
//     two their arguments as a tuple, so its str() reads "('cannot find usb
//     device %s', '...')"; the port formats them). Each is preceded by
//     the field it is about (dataVolumes[0].deviceId: ..., addons.usbDevice[1]:
//     ...) and the step (make_volumes: ...).
//
// Kept on purpose although odd: lstrip's character-set stripping of
// "ceph:", "fusionstor:" and "iscsi://" (ceph:pool/x becomes "ool/x"),
// Python's negative indexing of deviceIds and cdrom slots, virtio-SCSI
// letters taken in reverse, the BlkIscsi LUN always 1, NIC models from the
// command-wide useVirtio, and IDE data disks whose drive address collides
// with the cdroms (libvirt refuses those, as it refuses the seed's).//
// # Lifecycle: where the port behaves differently from the seed, and why
//
//   - A start whose libvirt create fails undefines the domain it just
//     defined: no half-created VM is left (the seed kept the definition and
//     cleared it on the next start).
//   - The seed's 30 s wait for the VNC port reads /proc/net/tcp{,6} instead
//     of `netstat | grep`, and is skipped on libvirt's test:/// driver, where
//     no qemu listens.
//   - checkstate's fallback for a VM libvirt does not list reads
//     /proc/<pid>/cmdline instead of `ps x | grep`.
//   - vmsync leaves out NoState, Crashed and Suspended domains: one such
//     state fails the management node's whole sync (mn-contract.md §6).
//   - The ceph and iscsi secrets are created through the libvirt API, not
//     virsh; the values and ephemeral/private flags are the seed's.
//   - libvirtd going away does not end the agent (the seed exited): the
//     call fails with a clear error and the next call reconnects.
//   - Operations on one VM are serialized by a per-VM lock, on top of the
//     seed's process-wide start lock.
//   - /host/fact reports the vendor's hvmCpuFlag (vmx or svm) when
//     /proc/cpuinfo shows neither but /dev/kvm opens: nested hosts hide the
//     flags, and the management node refuses a host without one.
//   - resize_volume sends block_resize through libvirt's QEMU monitor API
//     (HMP) on the agent's connection, not `virsh qemu-monitor-command`.
//   - vmsync's double check against the qemu processes reads
//     /proc/<pid>/cmdline instead of `ps x | grep -E -o ... | awk`.
//   - handle_vfio_irq_conflict names the vfio device whose INTx setup failed
//     but does not run lspci to list the devices sharing its IRQ.
//
// # Hardening: what the port refuses or bounds that the seed did not
//
//   - Every number of a start command is bounded by libvirt's and QEMU's
//     limits (vmplugin/bounds.go, the source of each bound beside it), and
//     duplicate deviceIds are refused, before any lock or host call.
//   - The start lock covers libvirt's define+create only; image probing,
//     iSCSI logins and the waits for Running run outside it.
//   - Paths the agent creates or removes (the channel socket) are confined
//     to vm.managed_dirs, symlinks resolved (pathguard).
//   - Secrets are masked in command lines, errors, callbacks and logs.
//   - A failed start undoes the secrets, directories and iSCSI logins it
//     created (vmplugin/startundo.go).
//   - Host calls, and the read-only VM queries, run in their own worker
//     lanes; queues, the task table,
//     task ids, connection times and callback deliveries are bounded; a
//     task id reused with another path or body is refused (kvmagent).
//   - Every libvirt call is bounded (libvirt.call_timeout, keepalive); the
//     agent listens before libvirt answers, and host calls report an
//     outage in their envelope (virtconn, hostplugin).
//
// # Port revisions
//
// A port revision (2.3.0-N, 2.3.1-N) is the same vendor release with a
// defect of the port's own hardening fixed, not a change of vendor
// behaviour. A vendor release carries the port revisions made before it.
//
//   - 2.3.0-2: pathguard.DefaultDirs is a function, so no exported
//     variable of the release changes behaviour when assigned.
//   - 2.3.0-3: a start's answer is the truth, and the lanes and task table
//     serve two ports. The bounded libvirt call (virtconn's call timeout)
//     let a start answer "the call was abandoned" while the abandoned
//     define+create went on and the VM ran, and the start's undo ran
//     before the define it should undo. Now the create is bounded by the
//     command's own timeout when that is longer (virtconn.CallWithin,
//     Conn.DoWithin), and an abandoned one is reconciled before the answer
//     (Vm.Reconcile, called by Vm.Start): wait for the call to return
//     (TimeoutError.Returned), answer success if the domain runs, else
//     destroy and undefine it and answer the failure; the undo follows.
//     vmsync and checkstate run in their own lane (kvmagent.LaneQuery), so
//     the management node's polls answer while starts hang on storage.
//     Servers may share one task table (ServerConfig.Tasks, NewTaskTable),
//     so one taskuuid runs once across an agent's ports. An async call
//     without a usable callbackurl header is refused with 400 and the
//     reason, instead of 200 and a reply that goes nowhere (the management
//     node always sends one).
//   - 2.3.0-4: one validation per start, and no secret in a debug body.
//     FromStartVmCmd validates again what its caller validated, so a start
//     path built on the plugin (the overlay's, which validates the whole
//     request before any lock) paid two validations and two capabilities
//     calls; FromValidatedStartVmCmd builds a validated command, as the
//     seed's from_StartVmCmd does. MaskSensitive masked secret keys but
//     logged a secret inside a string value verbatim (a QEMU argument
//     "-object secret,id=s0,data=..."): the values of options named like
//     a secret (password=, key=, data=, ...) are masked inside strings too.
//   - 2.3.0-5: a refusal echoes a bounded value. Validate quoted every
//     refused value whole, so an 8 MB vmInstanceUuid or install path made
//     an 8 MB reply, callback and log line: values are cut after 256
//     bytes with their length said, a uuid over 64 bytes and a vmName
//     over 4 KiB (which later errors echo) are refused by length.
//   - 2.3.0-6: a task's log lines can be followed. The server logged the
//     task's identity on its own lines only, and the plugins logged
//     without it, so the lines of one start were tied together by time.
//     Each request's context now carries its log attributes (taskuuid,
//     path; vm once a handler decodes it: kvmagent.WithTaskLog,
//     AddLogAttrs), plugins log with that context, and the agent's logger
//     adds them to every line of the task (kvmagent.LogHandler), the
//     server's "task done" and callback lines included.
//   - 2.3.0-7: a route's handler can be read back (Server.Handler). Routes
//     listed the URIs without their handlers, so a server serving the same
//     URIs under another prefix had to list every one by hand and fell
//     behind silently when a release added one.
//   - 2.3.1-1: a start built on the plugin can keep the stock start lock
//     (VmPlugin.SerializeStart). The lock the stock start holds around
//     define and create was reachable only from the stock start itself, so
//     a start path serving the stock contract with its own steps (the
//     overlay's :7070 start) serialized less than the stock one.
package upstream
