package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/ctsim/ctsim/sim/source/pcap"
)

type gencapOpts struct {
	packets  int
	flows    int
	seed     uint64
	scenario string
}

func gencapCommand() *command {
	return &command{
		name:   "gencap",
		args:   "FILE",
		short:  "write a generated capture for timing replay (benchmarks)",
		hidden: true,
		long: `Writes a classic pcap (nanosecond, Ethernet) of --packets packets over --flows
flows: 3/4 TCP and 1/4 UDP, 1 in 8 over IPv6; flow i's client is 10.0.0.0/8 + i+1
(fd00::/64 + i+1), its server one of 4096 in 172.16.0.0/16 (fd01::/64), on ports
443, 80, 53 and 123; packets 1–20 µs apart. The same flags give the same bytes. Used to time the whole-process
replay, for example with hyperfine.`,
		example: `  ctsim gencap /tmp/big.pcap --packets 2000000 --flows 131072 --scenario /tmp/bench.yaml
  time ctsim replay /tmp/big.pcap --scenario /tmp/bench.yaml -o json > /dev/null`,
		flags: func(fs *pflag.FlagSet) any {
			o := &gencapOpts{}
			fs.IntVar(&o.packets, "packets", 1000000, "number of packets")
			fs.IntVar(&o.flows, "flows", 10000, "number of flows (at most 16777215)")
			fs.Uint64Var(&o.seed, "seed", 1, "random seed")
			fs.StringVar(&o.scenario, "scenario", "", "also write the scenario the capture meets to `FILE` (two SGs, two NACLs, every client and server an address of one ENI)")
			return o
		},
		run: func(e *env, opts any, args []string) error {
			o := opts.(*gencapOpts)
			if len(args) != 1 {
				return usageErrorf("gencap", "gencap takes one output FILE, got %d", len(args))
			}
			f, err := os.Create(args[0])
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(f, 1<<20)
			if err := pcap.GenerateCapture(bw, o.packets, o.flows, o.seed); err != nil {
				f.Close()
				os.Remove(args[0])
				return &exitError{code: exitBadInput, err: err}
			}
			if err := bw.Flush(); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "wrote %s: %d packets, %d flows, seed %d\n", args[0], o.packets, o.flows, o.seed)
			if o.scenario != "" {
				if err := os.WriteFile(o.scenario, benchScenario(o.flows), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "wrote %s: the scenario it meets\n", o.scenario)
			}
			return nil
		},
	}
}
