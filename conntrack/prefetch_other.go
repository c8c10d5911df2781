//go:build !amd64

package conntrack

// prefetch is a no-op where no prefetch instruction is wired up.
func prefetch(uintptr) {}
