//go:build !unix

package sim

import "time"

// processCPU is unavailable here; the CPU-time metrics are then left out.
func processCPU() time.Duration { return 0 }
