package vmplugin

// The commands and responses of vm_plugin. JSON names are the management
// node's (Java field names, as gson writes them); a field the management node
// omits (it never writes nulls) reads as its zero value. Fields that the seed
// tells apart from "absent" (consolePassword == None) are pointers.

// MonInfo is one Ceph monitor of a KVMCephVolumeTO or KvmCephIsoTO.
type MonInfo struct {
	Hostname string `json:"hostname"`
	Port     int    `json:"port"`
}

// VolumeTO is a root or data volume.
type VolumeTO struct {
	InstallPath   string    `json:"installPath"`
	DeviceID      int       `json:"deviceId"`
	DeviceType    string    `json:"deviceType"` // file | iscsi | ceph | fusionstor
	VolumeUUID    string    `json:"volumeUuid"`
	UseVirtio     bool      `json:"useVirtio"`
	UseVirtioSCSI bool      `json:"useVirtioSCSI"`
	Shareable     bool      `json:"shareable"`
	CacheMode     string    `json:"cacheMode"`
	WWN           string    `json:"wwn"`
	ChapUsername  string    `json:"chapUsername,omitempty"`
	ChapPassword  string    `json:"chapPassword,omitempty"`
	SecretUUID    string    `json:"secretUuid,omitempty"`
	MonInfo       []MonInfo `json:"monInfo,omitempty"`
}

// IsoTO is one ISO in bootIso; DeviceID picks the cdrom slot (0-2).
type IsoTO struct {
	Path       string    `json:"path"`
	ImageUUID  string    `json:"imageUuid,omitempty"`
	DeviceID   int       `json:"deviceId"`
	SecretUUID string    `json:"secretUuid,omitempty"`
	MonInfo    []MonInfo `json:"monInfo,omitempty"`
}

// NicTO is one NIC.
type NicTO struct {
	Mac             string `json:"mac"`
	IP              string `json:"ip,omitempty"`
	BridgeName      string `json:"bridgeName"`
	UUID            string `json:"uuid"`
	NicInternalName string `json:"nicInternalName"`
	DeviceID        int    `json:"deviceId"`
	MetaData        string `json:"metaData,omitempty"`
	UseVirtio       bool   `json:"useVirtio"`
}

// Channel is the addons.channel entry (the guest agent socket).
type Channel struct {
	SocketPath string `json:"socketPath"`
	TargetName string `json:"targetName"`
}

// VolumeQos is one addons.VolumeQos entry, keyed by volume uuid.
type VolumeQos struct {
	TotalBandwidth int64 `json:"totalBandwidth,omitempty"`
	TotalIops      int64 `json:"totalIops,omitempty"`
}

// NicQos is one addons.NicQos entry, keyed by NIC uuid (bits per second).
type NicQos struct {
	OutboundBandwidth int64 `json:"outboundBandwidth,omitempty"`
	InboundBandwidth  int64 `json:"inboundBandwidth,omitempty"`
}

// Addons is the addons map. Unknown keys are ignored.
type Addons struct {
	QemuPath       string               `json:"qemuPath,omitempty"`
	Channel        *Channel             `json:"channel,omitempty"`
	CephSecretKey  string               `json:"ceph_secret_key,omitempty"`
	CephSecretUUID string               `json:"ceph_secret_uuid,omitempty"`
	PciDevice      []string             `json:"pciDevice,omitempty"`
	UsbDevice      []string             `json:"usbDevice,omitempty"`
	VolumeQos      map[string]VolumeQos `json:"VolumeQos,omitempty"`
	NicQos         map[string]NicQos    `json:"NicQos,omitempty"`
	NativeAio      bool                 `json:"NativeAio,omitempty"` // io="native" on every volume's driver
}

// IsEmpty is Python's "not cmd.addons": absent or an empty map.
func (a *Addons) IsEmpty() bool {
	return a == nil || (a.QemuPath == "" && a.Channel == nil && a.CephSecretKey == "" && a.CephSecretUUID == "" &&
		len(a.PciDevice) == 0 && len(a.UsbDevice) == 0 && len(a.VolumeQos) == 0 && len(a.NicQos) == 0 && !a.NativeAio)
}

// StartVmCmd is /vm/start's command: every field from_StartVmCmd reads, plus
// the ones the management node sends and the seed ignores.
type StartVmCmd struct {
	VMInstanceUUID               string     `json:"vmInstanceUuid"`
	VMInternalID                 int64      `json:"vmInternalId"`
	VMName                       string     `json:"vmName"`
	Memory                       int64      `json:"memory"`    // bytes
	MaxMemory                    int64      `json:"maxMemory"` // sent, ignored by the seed
	CPUNum                       int        `json:"cpuNum"`
	CPUSpeed                     int64      `json:"cpuSpeed"`
	SocketNum                    int        `json:"socketNum"`
	CPUOnSocket                  int        `json:"cpuOnSocket"`
	ConsolePassword              *string    `json:"consolePassword,omitempty"`
	BootDev                      []string   `json:"bootDev"`
	RootVolume                   *VolumeTO  `json:"rootVolume"`
	BootIso                      []IsoTO    `json:"bootIso"`
	DataVolumes                  []VolumeTO `json:"dataVolumes"`
	Nics                         []NicTO    `json:"nics"`
	Timeout                      int64      `json:"timeout"` // seconds; 0 from the real management node
	Addons                       *Addons    `json:"addons,omitempty"`
	UseVirtio                    bool       `json:"useVirtio"`
	ConsoleMode                  string     `json:"consoleMode"`
	InstanceOfferingOnlineChange bool       `json:"instanceOfferingOnlineChange"`
	NestedVirtualization         string     `json:"nestedVirtualization"`
	HostManagementIP             string     `json:"hostManagementIp"`
	Clock                        string     `json:"clock"`
	VideoType                    string     `json:"videoType"`
	SpiceStreamingMode           string     `json:"spiceStreamingMode"`
	UseNuma                      bool       `json:"useNuma"`
	KvmHiddenState               bool       `json:"kvmHiddenState"`
	UsbRedirect                  string     `json:"usbRedirect"`
	VDIMonitorNumber             int        `json:"VDIMonitorNumber"`
	UseBootMenu                  bool       `json:"useBootMenu"`
	VMCPUModel                   string     `json:"vmCpuModel"` // the <model> of nestedVirtualization "custom"
	VMPortOff                    bool       `json:"vmPortOff"`
}
