//go:build !linux

package conntrack

import "unsafe"

// adviseHuge is a no-op where transparent huge pages cannot be requested.
func adviseHuge(unsafe.Pointer, uintptr) {}
