package refresh

import (
	"go/types"
	"testing"
)

func TestQualify(t *testing.T) {
	pkg := types.NewPackage("example.com/m/upstream/vmplugin", "vmplugin")
	for _, n := range []string{"KVMStartVMPath", "VmPlugin", "StartVmCmd", "helper"} {
		pkg.Scope().Insert(types.NewConst(0, pkg, n, types.Typ[types.String], nil))
	}
	q := qualifier{scope: pkg.Scope(), name: "vm"}
	tests := []struct{ src, want string }{
		{"func (p *VmPlugin) Start(s *kvmagent.Server) error {\n\ts.RegisterAsyncURI(KVMStartVMPath, p.StartVm)\n\treturn nil\n}",
			"func (p *vm.VmPlugin) Start(s *kvmagent.Server) error {\n\ts.RegisterAsyncURI(vm.KVMStartVMPath, p.StartVm)\n\treturn nil\n}"},
		// Locals, selectors, unexported names and literal keys stay.
		{"func F() {\n\tKVMStartVMPath := 1\n\t_ = KVMStartVMPath\n\t_ = helper()\n\t_ = StartVmCmd{VmPlugin: 1}\n}",
			"func F() {\n\tKVMStartVMPath := 1\n\t_ = KVMStartVMPath\n\t_ = helper()\n\t_ = vm.StartVmCmd{VmPlugin: 1}\n}"},
	}
	for _, tt := range tests {
		if got := q.apply(tt.src); got != tt.want {
			t.Errorf("apply:\n%s\nwant\n%s", got, tt.want)
		}
	}
	if got := importName([]byte("package o\n\nimport (\n\t\"example.com/m/upstream/vmplugin\"\n\tvm2 \"example.com/m/upstream/other\"\n)\n"), "example.com/m/upstream/vmplugin"); got != "vmplugin" {
		t.Errorf("importName = %q", got)
	}
}
