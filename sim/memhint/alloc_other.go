//go:build !linux

package memhint

// mapAnon cannot map memory here: Make falls back to make.
func mapAnon(uintptr) ([]byte, uintptr, bool) { return nil, 0, false }

func unmapAnon([]byte) {}
