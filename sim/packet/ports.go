package packet

import "sort"

// PortRange is an inclusive range of TCP/UDP ports.
type PortRange struct{ Lo, Hi uint16 }

// Contains reports whether port is in r.
func (r PortRange) Contains(port uint16) bool { return r.Lo <= port && port <= r.Hi }

// Size returns the number of ports in r.
func (r PortRange) Size() int { return int(r.Hi) - int(r.Lo) + 1 }

// ephemeral are the default dynamic (ephemeral) port ranges a client picks
// its source port from, by OS profile name (SPEC.md §3.8, §4).
var ephemeral = map[string]PortRange{
	"linux":            {32768, 60999}, // LNX-PORTS: current Linux ip_local_port_range
	"amazon-linux-doc": {32768, 61000}, // the AWS NACL page's "many Linux kernels" (§3.8)
	"windows":          {49152, 65535}, // Vista / Server 2008 and later (MS-929851)
	"windows-xp":       {1025, 5000},   // through Windows Server 2003 (MS-929851, §3.8)
	"macos":            {49152, 65535}, // XNU ipport_firstauto..lastauto
	"freebsd":          {10000, 65535}, // FreeBSD IPPORT_EPHEMERALFIRST..LAST
	"nat-gateway":      {1024, 65535},  // VPC-NATGW: "NAT gateways use ports 1024–65535"
	"elb":              {1024, 65535},  // §3.8: requests originating from ELB
	"lambda":           {1024, 65535},  // §3.8: AWS Lambda functions
}

// EphemeralRange returns the default ephemeral port range of an OS profile
// ("linux", "windows", "windows-xp", "macos", "freebsd", "amazon-linux-doc",
// "nat-gateway", "elb", "lambda").
func EphemeralRange(os string) (PortRange, bool) {
	r, ok := ephemeral[os]
	return r, ok
}

// OSProfiles returns the known OS profile names, sorted.
func OSProfiles() []string {
	names := make([]string, 0, len(ephemeral))
	for n := range ephemeral {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
