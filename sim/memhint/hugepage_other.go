//go:build !linux

package memhint

import "unsafe"

// AdviseHuge is a no-op where transparent huge pages cannot be requested.
func AdviseHuge(unsafe.Pointer, uintptr) {}
