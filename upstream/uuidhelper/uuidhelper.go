// Package uuidhelper ports zstacklib's uuidhelper.
package uuidhelper

// ToFullUUID inserts the dashes into a 32-hex uuid, exactly as
// uuidhelper.to_full_uuid does: no validation, no case change. Strings shorter
// than 20 characters come out as Python's slicing would produce them.
func ToFullUUID(s string) string {
	part := func(from, to int) string {
		if from > len(s) {
			return ""
		}
		if to > len(s) || to < 0 {
			to = len(s)
		}
		return s[from:to]
	}
	return part(0, 8) + "-" + part(8, 12) + "-" + part(12, 16) + "-" + part(16, 20) + "-" + part(20, -1)
}
