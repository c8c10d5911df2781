//go:build !amd64

package memhint

// Prefetch is a no-op where no prefetch instruction is wired up.
func Prefetch(uintptr) {}

// PrefetchSpan is a no-op where no prefetch instruction is wired up.
func PrefetchSpan(uintptr, uintptr) {}
