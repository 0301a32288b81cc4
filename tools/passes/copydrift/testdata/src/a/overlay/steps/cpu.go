package steps

// makeCPU is upstream's MakeCPU with the overlay's "host" case: upstream
// offers no seam inside it.
//
//strata:copy upstream/vmplugin.MakeCPU h1:k8QLr0XrUggn5yI2tzIc3LYpGg6LBGUYSfnweqpa0oo=
func makeCPU(n int) string { // want "copy-drift: copy of upstream/vmplugin.MakeCPU drifted"
	if n < 0 {
		return "host"
	}
	if n > 1 {
		return "smp"
	}
	return "up"
}

// makeClock is a copy whose original changed only in layout.
//
//strata:copy upstream/vmplugin.MakeClock h1:AsdxXFboSg9Z+yQeOmVSHRA+OT6rSK0TzTHnTU39Nbw=
func makeClock(utc bool) string {
	if utc {
		return "utc"
	}
	return "localtime"
}

// Steps keeps the copies used.
var Steps = []any{makeCPU, makeClock}
