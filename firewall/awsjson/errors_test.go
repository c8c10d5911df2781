package awsjson

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/firewall"
)

// Errors carry file:line:col: syntax and type errors where encoding/json
// stopped, semantic errors at the key of the offending member (STYLE.md
// lesson 13). Rules checked: SPEC.md §1.1 (IpPermission) and §3.2 (NACL
// entries).
func TestErrorsCarryPositions(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             string // the whole Error() text
		field            string
	}{
		{"syntax error", "sg.json", "{\n  \"SecurityGroups\": [\n    {\"GroupId\": \"sg-1\",}\n  ]\n}",
			"sg.json:3:24: invalid JSON: invalid character '}' looking for beginning of object key string", ""},
		{"truncated", "sg.json", "{\"SecurityGroups\": [", "sg.json:1:21: invalid JSON: unexpected end of JSON input", ""},
		{"type error", "sg.json", "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\",\n \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": \"80\"}]}]}",
			"sg.json:2:42: SecurityGroups.IpPermissions.FromPort is a string, want a number", "SecurityGroups.IpPermissions.FromPort"},
		// Type errors speak JSON, never Go (no int32, map[string]json.RawMessage, struct { … }).
		{"fraction for a rule number", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 100.5}]}]}`,
			"acl.json:1:57: NetworkAcls.Entries.RuleNumber is the number 100.5, want a whole number from -2147483648 to 2147483647", "NetworkAcls.Entries.RuleNumber"},
		{"string for Egress", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"Egress": "yes"}]}]}`,
			"acl.json:1:57: NetworkAcls.Entries.Egress is a string, want true or false", "NetworkAcls.Entries.Egress"},
		{"object for a list", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": {}}]}`,
			"sg.json:1:41: SecurityGroups.IpPermissions is an object, want an array", "SecurityGroups.IpPermissions"},
		{"number for an object", "eni.json", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "ConnectionTrackingConfiguration": 5}]}`,
			"eni.json:1:56: NetworkInterfaces.ConnectionTrackingConfiguration is a number, want an object", "NetworkInterfaces.ConnectionTrackingConfiguration"},
		{"number for a string", "vpc.json", `{"Vpcs": [{"VpcId": 7}]}`,
			"vpc.json:1:12: Vpcs.VpcId is a number, want a string", "Vpcs.VpcId"},
		{"not an object", "arr.json", "[1, 2]",
			`arr.json:1:1: expected the JSON object that "aws ec2 describe-…" prints (with a key such as "SecurityGroups"), found an array`, ""},
		{"empty array after space", "arr.json", "\n  []",
			`arr.json:2:3: expected the JSON object that "aws ec2 describe-…" prints (with a key such as "SecurityGroups"), found an array`, ""},
		{"a string", "s.json", `"SecurityGroups"`,
			`s.json:1:1: expected the JSON object that "aws ec2 describe-…" prints (with a key such as "SecurityGroups"), found a string`, ""},
		{"a number", "n.json", `42`,
			`n.json:1:1: expected the JSON object that "aws ec2 describe-…" prints (with a key such as "SecurityGroups"), found a number`, ""},
		{"null", "n.json", `null`,
			`n.json:1:1: expected the JSON object that "aws ec2 describe-…" prints (with a key such as "SecurityGroups"), found null`, ""},
		{"bad CIDR /33", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [
  {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
   "IpRanges": [{"CidrIp": "10.0.0.0/33"}]}]}]}`,
			`sg.json:3:18: security group sg-1: CidrIp "10.0.0.0/33": prefix length 33 is outside 0–32 for IPv4`, "CidrIp"},
		{"IPv6 in IpRanges", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "::/0"}]}]}]}`,
			`sg.json:1:94: security group sg-1: CidrIp "::/0" is an IPv6 CIDR, want IPv4`, "CidrIp"},
		{"bad IPv6 CIDR /129", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/129"}]}]}]}`,
			`sg.json:1:96: security group sg-1: CidrIpv6 "::/129": prefix length 129 is outside 0–128 for IPv6`, "CidrIpv6"},
		{"CIDR of a non-address", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "sg-2/32"}]}]}]}`,
			`sg.json:1:94: security group sg-1: CidrIp "sg-2/32": "sg-2" is not an IPv4 address`, "CidrIp"},
		{"CIDR without a prefix length", "vpc.json", `{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0"}]}`,
			`vpc.json:1:30: VPC vpc-1: CidrBlock "10.0.0.0": no prefix length: want an IPv4 address, "/" and a prefix length, such as 10.0.0.0/16`, "CidrBlock"},
		{"security group rule bad CIDR", "sgr.json", `{"SecurityGroupRules": [{"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-1", "IpProtocol": "-1", "CidrIpv4": "10.0.0.0/40"}]}`,
			`sgr.json:1:97: security group rule sgr-1: CidrIpv4 "10.0.0.0/40": prefix length 40 is outside 0–32 for IPv4`, "CidrIpv4"},
		{"prefix list entry bad CIDR", "pl-1.entries.json", `{"Entries": [{"Cidr": "2001:db8::/200"}]}`,
			`pl-1.entries.json:1:15: prefix list pl-1: Cidr "2001:db8::/200": prefix length 200 is outside 0–128 for IPv6`, "Cidr"},
		{"port out of range", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "udp", "FromPort": 0, "ToPort": 70000}]}]}`,
			"sg.json:1:81: security group sg-1: port range 0-70000 out of range 0-65535", "FromPort"},
		{"ports reversed", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 90, "ToPort": 80}]}]}`,
			"sg.json:1:81: security group sg-1: port range 90-80: FromPort above ToPort", "FromPort"},
		{"tcp without ports", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp"}]}]}`,
			"sg.json:1:59: security group sg-1: FromPort and ToPort are required for tcp and udp", "FromPort"},
		{"icmp all types with a code", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "icmp", "FromPort": -1, "ToPort": 4}]}]}`,
			"sg.json:1:82: security group sg-1: ICMP code 4 given for all ICMP types (-1): all types needs all codes", "FromPort"},
		{"unknown protocol", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "sctp"}]}]}`,
			`sg.json:1:60: security group sg-1: unknown IpProtocol "sctp"`, "IpProtocol"},
		{"protocol number too big", "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "256"}]}]}`,
			`sg.json:1:60: security group sg-1: unknown IpProtocol "256"`, "IpProtocol"},
		{"group without ID", "sg.json", `{"SecurityGroups": [{"GroupName": "x"}]}`, "sg.json:1:21: security group without GroupId", ""},
		{"star rule that allows", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [
  {"RuleNumber": 32767, "Egress": false, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}`,
			`acl.json:2:60: network ACL acl-1: default rule * (32767) is "allow", want deny`, "RuleAction"},
		{"rule number 0", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 0, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}`,
			"acl.json:1:57: network ACL acl-1: rule number 0 out of range 1-32766", "RuleNumber"},
		{"NACL unknown protocol", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "tcpx", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}`,
			`acl.json:1:74: network ACL acl-1 rule 5: unknown Protocol "tcpx"`, "Protocol"},
		{"NACL bad action", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "6", "RuleAction": "reject", "CidrBlock": "0.0.0.0/0"}]}]}`,
			`acl.json:1:91: network ACL acl-1 rule 5: RuleAction "reject", want allow or deny`, "RuleAction"},
		{"NACL port out of range", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "6", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 1, "To": 65536}}]}]}`,
			"acl.json:1:140: network ACL acl-1 rule 5: port range 1-65536 out of range 0-65535", "PortRange"},
		{"NACL bad IPv6 CIDR", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "-1", "RuleAction": "allow", "Ipv6CidrBlock": "2001:db8::/129"}]}]}`,
			`acl.json:1:115: network ACL acl-1 rule 5: Ipv6CidrBlock "2001:db8::/129": prefix length 129 is outside 0–128 for IPv6`, "Ipv6CidrBlock"},
		{"NACL bad IPv4 CIDR", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "10.0.0.0/33"}]}]}`,
			`acl.json:1:115: network ACL acl-1 rule 5: CidrBlock "10.0.0.0/33": prefix length 33 is outside 0–32 for IPv4`, "CidrBlock"},
		{"NACL without CIDR", "acl.json", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "-1", "RuleAction": "allow"}]}]}`,
			"acl.json:1:56: network ACL acl-1 rule 5 has neither CidrBlock nor Ipv6CidrBlock", ""},
		{"bad ENI address", "eni.json", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.300", "Primary": true}]}]}`,
			`eni.json:1:80: network interface eni-1: bad address: ParseAddr("10.0.0.300"): IPv4 field has value >255`, "PrivateIpAddress"},
		// ConnectionTrackingConfiguration out of AWS's ranges (SPEC.md §2.4),
		// at the member, not only later at compile time at the ENI.
		{"TCP established timeout too short", "eni.json", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1",
  "ConnectionTrackingConfiguration": {
    "UdpTimeout": 30, "TcpEstablishedTimeout": 20}}]}`,
			"eni.json:3:23: network interface eni-1: TcpEstablishedTimeout 20 is outside 60–432000 seconds (AWS ConnectionTrackingConfiguration)", "TcpEstablishedTimeout"},
		{"TCP established timeout too long", "eni.json", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "ConnectionTrackingConfiguration": {"TcpEstablishedTimeout": 432001}}]}`,
			"eni.json:1:92: network interface eni-1: TcpEstablishedTimeout 432001 is outside 60–432000 seconds (AWS ConnectionTrackingConfiguration)", "TcpEstablishedTimeout"},
		{"UDP timeout too long", "eni.json", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "ConnectionTrackingConfiguration": {"TcpEstablishedTimeout": 350, "UdpTimeout": 500}}]}`,
			"eni.json:1:122: network interface eni-1: UdpTimeout 500 is outside 30–60 seconds (AWS ConnectionTrackingConfiguration)", "UdpTimeout"},
		{"UDP stream timeout too short", "eni.json", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "ConnectionTrackingConfiguration": {"UdpStreamTimeout": 59}}]}`,
			"eni.json:1:92: network interface eni-1: UdpStreamTimeout 59 is outside 60–180 seconds (AWS ConnectionTrackingConfiguration)", "UdpStreamTimeout"},
		{"zero timeout", "eni.json", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "ConnectionTrackingConfiguration": {"UdpTimeout": 0}}]}`,
			"eni.json:1:92: network interface eni-1: UdpTimeout 0 is outside 30–60 seconds (AWS ConnectionTrackingConfiguration)", "UdpTimeout"},
		{"entries without a list ID in the name", "entries.json", `{"Entries": [{"Cidr": "10.0.0.0/8"}]}`,
			"entries.json:1:2: get-managed-prefix-list-entries output: cannot tell which prefix list; put its ID in the file name (pl-….entries.json)", "Entries"},
		{"empty file", "e.json", "  \n", "e.json: empty file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Result
			err := Parse(tt.file, []byte(tt.data), &r)
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.want)
			}
			var fe *firewall.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *firewall.Error", err)
			}
			if fe.Field != tt.field {
				t.Errorf("Field = %q, want %q", fe.Field, tt.field)
			}
			if len(r.files) != 0 || len(r.Inventory.SecurityGroups) != 0 {
				t.Errorf("a failed Parse changed the Result")
			}
		})
	}
}

// A failed Parse leaves what earlier files gave intact (STYLE.md lesson 13:
// a partial result plus the error; CIDR rules of SPEC.md §1.1).
func TestFailedParseKeepsEarlierFiles(t *testing.T) {
	var r Result
	must(t, Parse("a.json", []byte(`{"Vpcs":[{"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16"}]}`), &r))
	if err := Parse("b.json", []byte(`{"Vpcs":[{"VpcId":"vpc-2","CidrBlock":"10.0.0.0/99"}]}`), &r); err == nil {
		t.Fatal("Parse of a bad CIDR succeeded")
	}
	if len(r.Inventory.VPCs) != 1 || r.Inventory.VPCs[0].ID != "vpc-1" {
		t.Errorf("VPCs = %+v, want only vpc-1", r.Inventory.VPCs)
	}
}

// Everything not read as-is is a Warning with a position, never dropped in
// silence: unknown outputs, interface types outside SPEC.md §2.3, CIDRs
// canonicalised as §3.1 says AWS does.
func TestWarningsNameWhatWasNotSupported(t *testing.T) {
	tests := []struct {
		name, data string
		want       string // a substring of the one warning expected
		at         string // its position
	}{
		{"unknown output", `{"RouteTables": []}`, `unsupported top-level key "RouteTables" ignored`, "w.json:1:2"},
		{"unknown interface type", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "InterfaceType": "quantum"}]}`,
			`unsupported InterfaceType "quantum" of eni-1: assumed an instance`, "w.json:1:56"},
		{"prefix delegation", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "Ipv4Prefixes": [{"Ipv4Prefix": "10.0.0.16/28"}]}]}`,
			"unsupported: Ipv4Prefixes of eni-1 ignored", "w.json:1:56"},
		{"non-canonical CIDR", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "100.68.0.18/18"}]}]}]}`,
			"assumed 100.68.0.0/18 for 100.68.0.18/18 in security group sg-1", "w.json:1:94"},
		{"duplicate", `{"Vpcs": [{"VpcId": "vpc-1"}, {"VpcId": "vpc-1"}]}`, "duplicate VPC vpc-1 ignored (first defined at w.json:1:11)", "w.json:1:31"},
		{"peered group", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-9", "VpcPeeringConnectionId": "pcx-1"}]}]}]}`,
			"assumed group sg-9 across peering pcx-1", "w.json:1:121"},
		{"permission without peers", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1"}]}]}`,
			"IpPermission 0 has no peer", "w.json:1:59"},
		{"NACL tcp without PortRange", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "6", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}`,
			"assumed port range 0-65535 (no PortRange) for network ACL acl-1 rule 5", "w.json:1:56"},
		{"entries without the list", `{"Entries": [{"Cidr": "10.0.0.0/8"}]}`, "assumed prefix list pl-1a exists", "w.json:1:2"},
		// SPEC.md §1.1: -1 and protocols other than tcp, udp, icmp, icmpv6
		// allow all ports "regardless of any port range you specify".
		{"SG sctp port range ignored", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "132", "FromPort": 5000, "ToPort": 5000, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]}]}`,
			"security group sg-1: FromPort 5000 and ToPort 5000 are ignored for protocol 132 (sctp): AWS allows all ports (SPEC.md §1.1)", "w.json:1:81"},
		{"SG all protocols port range ignored", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissionsEgress": [{"IpProtocol": "-1", "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}`,
			"security group sg-1: ToPort 443 is ignored for protocol -1 (all): AWS allows all ports (SPEC.md §1.1)", "w.json:1:86"},
		{"SG rule gre port range ignored", `{"SecurityGroupRules": [{"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-1", "IpProtocol": "47", "FromPort": 1, "ToPort": 2, "CidrIpv4": "10.0.0.0/8"}]}`,
			"security group rule sgr-1: FromPort 1 and ToPort 2 are ignored for protocol 47 (gre): AWS allows all ports (SPEC.md §1.1)", "w.json:1:97"},
		// SPEC.md §3.2: protocols other than 6, 17, 1 (and 58) allow all ports
		// and ICMP types; 58 with an IPv4 CIDR all ICMP types and codes.
		{"NACL sctp port range ignored", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "132", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 5000, "To": 5000}}]}]}`,
			"network ACL acl-1 rule 5: PortRange.From 5000 and PortRange.To 5000 are ignored for protocol 132 (sctp): AWS allows all ports (SPEC.md §3.2)", "w.json:1:156"},
		{"NACL all protocols ICMP type ignored", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "IcmpTypeCode": {"Type": 8, "Code": -1}}]}]}`,
			"network ACL acl-1 rule 5: IcmpTypeCode.Type 8 is ignored for protocol -1 (all): AWS allows all ports (SPEC.md §3.2)", "w.json:1:158"},
		{"NACL icmpv6 with an IPv4 CIDR", `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "58", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "IcmpTypeCode": {"Type": 128, "Code": 0}}]}]}`,
			"network ACL acl-1 rule 5: IcmpTypeCode.Type 128 and IcmpTypeCode.Code 0 are ignored for protocol 58 (icmpv6) with an IPv4 CIDR: AWS allows all ICMP types and codes (SPEC.md §3.2)", "w.json:1:158"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Result
			name := "w.json"
			if strings.HasPrefix(tt.data, `{"Entries"`) {
				name = "pl-1a.entries.json"
				tt.at = strings.Replace(tt.at, "w.json", name, 1)
			}
			must(t, Parse(name, []byte(tt.data), &r))
			if len(r.Warnings) != 1 {
				t.Fatalf("warnings = %v, want one", r.Warnings)
			}
			w := r.Warnings[0]
			if !strings.Contains(w.Msg, tt.want) || w.Origin.String() != tt.at {
				t.Errorf("warning = %q, want %q at %s", w, tt.want, tt.at)
			}
		})
	}
}

// Values that say "no ports" are not reported as ignored: -1/-1 (the AWS
// CLI prints it for IpProtocol "-1" in describe-security-group-rules),
// absent ports, and ICMP type/code where they apply (SPEC.md §1.1, §3.2).
// An ICMPv6 NACL entry with an IPv4 CIDR matches all types (§3.2).
func TestNoIgnoredPortsWarningForNoPorts(t *testing.T) {
	for _, data := range []string{
		`{"SecurityGroupRules": [{"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-1", "IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "CidrIpv4": "10.0.0.0/8"}]}`,
		`{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, {"IpProtocol": "icmpv6", "FromPort": 128, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]}]}`,
		`{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "58", "RuleAction": "allow", "Ipv6CidrBlock": "::/0", "IcmpTypeCode": {"Type": 128, "Code": 0}},
		  {"RuleNumber": 6, "Protocol": "50", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}`,
	} {
		var r Result
		must(t, Parse("w.json", []byte(data), &r))
		if len(r.Warnings) != 0 {
			t.Errorf("%s: warnings %v, want none", data, r.Warnings)
		}
	}
	var r Result
	must(t, Parse("w.json", []byte(`{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 5, "Protocol": "58", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "IcmpTypeCode": {"Type": 128, "Code": 0}}]}]}`), &r))
	if e := r.Inventory.NetworkACLs[0].Entries[0]; e.ICMPType != -1 || e.ICMPCode != -1 {
		t.Errorf("icmpv6 entry with an IPv4 CIDR: type/code %d/%d, want -1/-1 (all)", e.ICMPType, e.ICMPCode)
	}
}

// Load warns about references no file defines (the compiler would refuse
// them; the warning says where they are): groups and prefix lists of SPEC.md
// §1.1, subnets of §3.1.
func TestLoadWarnsAboutDanglingReferences(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sg.json", `{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "-1",
		"UserIdGroupPairs": [{"GroupId": "sg-gone"}], "PrefixListIds": [{"PrefixListId": "pl-gone"}]}]}]}`)
	write(t, dir, "eni.json", `{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "SubnetId": "subnet-gone", "Groups": [{"GroupId": "sg-1"}]}]}`)
	write(t, dir, "notes.txt", "not JSON, not read")
	r, err := Load(dir)
	must(t, err)
	var msgs []string
	for _, w := range r.Warnings {
		msgs = append(msgs, w.Msg)
	}
	want := []string{
		"security group sg-1 rule references group sg-gone, which no file describes",
		"security group sg-1 rule references prefix list pl-gone, which no file describes",
		"interface eni-1 is in subnet subnet-gone, which no file describes",
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}

// Load names a missing path and an empty directory; Parse refuses a nil
// Result. (Input handling, no SPEC.md section.)
func TestLoadReportsMissingAndEmptyInputs(t *testing.T) {
	if _, err := Load("testdata/no-such-dir"); err == nil || !strings.Contains(err.Error(), "no-such-dir") {
		t.Errorf("Load(missing) error = %v", err)
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.json files") {
		t.Errorf("Load(empty dir) error = %v", err)
	}
	if err := Parse("x.json", []byte("{}"), nil); err == nil {
		t.Errorf("Parse into nil succeeded")
	}
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
}

// FuzzParse feeds arbitrary bytes to Parse, seeded with the shop fixture
// and a few broken shapes. Parse must not panic, must return either an
// error or a result, must be deterministic, and a failed Parse must leave
// the Result untouched.
func FuzzParse(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "shop", "*.json"))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Base(n), data)
	}
	f.Add("x.json", []byte(`{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"icmpv6"}]}]}`))
	f.Add("x.json", []byte(`{"NetworkAcls":[{"NetworkAclId":"a","Entries":[{"RuleNumber":32768,"RuleAction":"deny"}]}]}`))
	f.Add("pl-1.entries.json", []byte(`{"Entries":[{"Cidr":"::/0"}],"NextToken":"x"}`))
	f.Add("x.json", []byte(`{"Vpcs":null}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if len(data) > 1<<16 {
			return // keep each input well under a second
		}
		var r1, r2 Result
		err1 := Parse(name, data, &r1)
		err2 := Parse(name, data, &r2)
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(r1.Inventory, r2.Inventory) || !reflect.DeepEqual(r1.Warnings, r2.Warnings) {
			t.Fatalf("Parse is not deterministic: %v / %v", err1, err2)
		}
		if err1 != nil {
			if len(r1.files) != 0 || len(r1.Inventory.VPCs)+len(r1.Inventory.SecurityGroups)+len(r1.Inventory.Interfaces) != 0 {
				t.Fatalf("failed Parse changed the Result: %v", err1)
			}
			return
		}
		_ = Normalize(r1.Inventory)
	})
}
