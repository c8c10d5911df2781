//go:build unix

package sim

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used (user + system). The
// benchmarks report throughput per CPU second as well as per wall second,
// because on a shared machine wall time measures the neighbours.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
