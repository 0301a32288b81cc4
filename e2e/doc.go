// Package e2e drives the stock agent over HTTP the way the management node
// does (mn-contract.md): async calls with taskuuid and callbackurl headers,
// answered through a callback server on loopback. The tests run against
// libvirt's embedded test:///default driver and, where libvirtd can start,
// against qemu:///system with real qemu processes.
package e2e
