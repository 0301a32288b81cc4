package hostplugin

import "github.com/strataagent/strata/upstream/kvmagent"

// The plugin's commands and responses. JSON names are the management node's;
// fields the seed leaves None (and so omits) are omitempty.

// ConnectCmd is /host/connect's body.
type ConnectCmd struct {
	HostUUID       string   `json:"hostUuid"`
	SendCommandURL string   `json:"sendCommandUrl"`
	IptablesRules  []string `json:"iptablesRules"` // absent reads as none (the seed crashed on len(None))
}

// ConnectResponse is ConnectResponse; the MN needs iptablesSucc true.
type ConnectResponse struct {
	kvmagent.AgentResponse
	LibvirtVersion string `json:"libvirtVersion,omitempty"`
	QemuVersion    string `json:"qemuVersion,omitempty"`
	IptablesSucc   bool   `json:"iptablesSucc"`
}

// PingResponse is PingResponse.
type PingResponse struct {
	kvmagent.AgentResponse
	HostUUID string `json:"hostUuid,omitempty"`
}

// CapacityResponse is HostCapacityResponse. Memory is in bytes, speed in MHz.
type CapacityResponse struct {
	kvmagent.AgentResponse
	CPUNum      int   `json:"cpuNum"`
	CPUSpeed    int   `json:"cpuSpeed"`
	UsedCPU     int   `json:"usedCpu"`
	TotalMemory int64 `json:"totalMemory"`
	UsedMemory  int64 `json:"usedMemory"`
	CPUSockets  int   `json:"cpuSockets"`
}

// FactResponse is HostFactResponse (the seed's fields, no cpuModelName or os*).
type FactResponse struct {
	kvmagent.AgentResponse
	QemuImgVersion string   `json:"qemuImgVersion,omitempty"`
	LibvirtVersion string   `json:"libvirtVersion,omitempty"`
	HvmCPUFlag     string   `json:"hvmCpuFlag,omitempty"`
	IPAddresses    []string `json:"ipAddresses"`
}
