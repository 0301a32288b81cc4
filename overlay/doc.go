// Package overlay is vm_plugin_ex: the overlay agent's VM plugin. It serves
// the stock vm_plugin's API with the overlay's fixes (on :7070) and the
// extended API under /ex/ (on :7071), over the stock plugin's connection,
// host and per-VM locks.
//
// # Three ways to extend
//
// In order of preference, each used where it is needed:
//
//  1. Wrap: call upstream, then change its result. The patch layers
//     (overlay/layers, overlay/declarative) edit the Domain the stock
//     builder made; linux2 wraps upstream/linux. StartVmEx builds with the
//     stock vmplugin.(*VmPlugin).FromStartVmCmd and wraps its Vm.
//  2. Embed and override: VmPluginEx embeds *vmplugin.VmPlugin, so every
//     stock method is promoted unchanged (StopVm, DestroyVm, LockVM, ...),
//     and overrides RebootVm (the stock reboot fails for every VM started
//     with useBootMenu and leaves it undefined). An override is only
//     reached through the outer type: a method value bound to the inner
//     plugin (the stock route table, the promoted Start) never calls it.
//  3. Copy with a stamp, where upstream has no seam: the start path (no
//     seam between building the domain and defining it) and the route
//     table (it decides which RebootVm :7070 serves). Each copy is the
//     least that works and carries a stamp.
//
// # Stamp format
//
// A function copied from upstream carries, as one line of its doc comment:
//
//	//strata:copy upstream/<pkg>.<Name> h1:<fingerprint>
//
// <Name> is a function name, or (*T).Method / T.Method for a method, as in
// `//strata:copy upstream/vmplugin.(*VmPlugin).startVmLocked h1:...`. The
// fingerprint is of the upstream ORIGINAL, not of the copy: the FuncDecl
// without its doc comment, printed with go/printer, re-parsed with every
// position cleared and printed again, hashed with SHA-256 and written in
// standard base64 after "h1:", so formatting and comments never count.
// `strata stamp SYMBOL` (cmd/strata, run from the repository root) prints
// the line for the current upstream/; `strata check` reports a copy whose
// original has drifted and `strata refresh` 3-way merges it.
//
// Never done here: assigning to an upstream variable, or replacing the
// plugin's Host (the stock stop type-asserts *vmplugin.LiveHost to log out
// of iSCSI and kill qemu).
package overlay
