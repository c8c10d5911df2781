//go:build unix

package main

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used (user + system).
// BenchmarkReplay reports throughput per CPU second as well as per wall
// second: on a shared machine wall time also measures the neighbours.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
