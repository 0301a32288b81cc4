// Package vmplugin ports kvmagent's vm_plugin: the /vm/* handlers and, in
// Build, the domain builder Vm.from_StartVmCmd.
//
// Build runs Steps, one exported Make* function per make_* step of the
// seed, in the seed's order, over a libvirtxml.Domain held in a
// BuildContext; a failure is reported as "<step>: <cause>". Everything the
// builder asks of the machine goes through Host (LiveHost for the agent,
// OfflineHost for rendering without side effects), so the same command
// builds the same XML wherever the Host answers the same.
//
// The few places where the XML deliberately differs from the seed's are
// listed in one table in the documentation of package upstream
// (upstream/doc.go).
package vmplugin
