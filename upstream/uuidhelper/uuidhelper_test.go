package uuidhelper

import "testing"

func TestToFullUUID(t *testing.T) {
	for in, want := range map[string]string{
		"5d1f7c3a9b2e4f60a8c4d2e1b7f9a013":     "5d1f7c3a-9b2e-4f60-a8c4-d2e1b7f9a013",
		"5D1F7C3A9B2E4F60A8C4D2E1B7F9A013":     "5D1F7C3A-9B2E-4F60-A8C4-D2E1B7F9A013", // no case change
		"5d1f7c3a9b2e4f60a8c4d2e1b7f9a013ffff": "5d1f7c3a-9b2e-4f60-a8c4-d2e1b7f9a013ffff",
		"abc":                                  "abc----", // Python slices past the end are empty
		"12345678":                             "12345678----",
		"":                                     "----",
	} {
		if got := ToFullUUID(in); got != want {
			t.Errorf("ToFullUUID(%q) = %q, want %q", in, got, want)
		}
	}
}
