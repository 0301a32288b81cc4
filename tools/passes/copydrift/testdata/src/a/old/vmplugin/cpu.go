package vmplugin

// MakeCPU writes the cpu element.
func MakeCPU(n int) string {
	if n > 1 {
		return "smp"
	}
	return "up"
}

// MakeClock only changes in layout and comments.
func MakeClock(utc bool) string {
	if utc {
		return "utc"
	}
	return "localtime"
}
