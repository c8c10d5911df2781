package awsjson

// The structs below follow the output shapes of the EC2 API as the AWS CLI
// prints them (aws ec2 describe-… --output json). Only the members that
// matter for filtering are declared; encoding/json skips the rest
// (OwnerId, State, Arn, …). Pointers mark members whose absence means
// something (FromPort/ToPort absent for IpProtocol "-1").

// document is every top-level key this package reads. A file usually holds
// one of them (plus NextToken when paginated).
type document struct {
	Vpcs               []vpcShape
	Subnets            []subnetShape
	SecurityGroups     []securityGroupShape
	SecurityGroupRules []securityGroupRuleShape
	NetworkAcls        []networkACLShape
	NetworkInterfaces  []networkInterfaceShape
	PrefixLists        []prefixListShape
	Entries            []prefixListEntryShape
	Reservations       []reservationShape
}

// knownKeys are the top-level keys Parse understands; NextToken is pagination
// and carries nothing.
var knownKeys = map[string]bool{
	"Vpcs": true, "Subnets": true, "SecurityGroups": true, "SecurityGroupRules": true,
	"NetworkAcls": true, "NetworkInterfaces": true, "PrefixLists": true, "Entries": true,
	"Reservations": true, "NextToken": true,
}

type tagShape struct {
	Key   string
	Value string
}

type stateShape struct {
	State string
}

// describe-vpcs
type vpcShape struct {
	VpcId                   string
	CidrBlock               string
	CidrBlockAssociationSet []struct {
		CidrBlock      string
		CidrBlockState *stateShape
	}
	Ipv6CidrBlockAssociationSet []struct {
		Ipv6CidrBlock      string
		Ipv6CidrBlockState *stateShape
	}
	Tags []tagShape
}

// describe-subnets
type subnetShape struct {
	SubnetId                    string
	VpcId                       string
	CidrBlock                   string
	Ipv6CidrBlockAssociationSet []struct {
		Ipv6CidrBlock      string
		Ipv6CidrBlockState *stateShape
	}
	Tags []tagShape
}

// describe-security-groups
type securityGroupShape struct {
	GroupId             string
	GroupName           string
	Description         string
	VpcId               string
	IpPermissions       []ipPermissionShape
	IpPermissionsEgress []ipPermissionShape
	Tags                []tagShape
}

// IpPermission (SPEC.md §1.1).
type ipPermissionShape struct {
	IpProtocol string
	FromPort   *int32
	ToPort     *int32
	IpRanges   []struct {
		CidrIp      string
		Description string
	}
	Ipv6Ranges []struct {
		CidrIpv6    string
		Description string
	}
	PrefixListIds []struct {
		PrefixListId string
		Description  string
	}
	UserIdGroupPairs []struct {
		GroupId                string
		GroupName              string
		UserId                 string
		VpcId                  string
		VpcPeeringConnectionId string
		Description            string
	}
}

// describe-security-group-rules: one rule per peer, with its own ID.
type securityGroupRuleShape struct {
	SecurityGroupRuleId string
	GroupId             string
	IsEgress            bool
	IpProtocol          string
	FromPort            *int32
	ToPort              *int32
	CidrIpv4            string
	CidrIpv6            string
	PrefixListId        string
	ReferencedGroupInfo *struct {
		GroupId string
	}
	Description string
}

// describe-network-acls
type networkACLShape struct {
	NetworkAclId string
	VpcId        string
	IsDefault    bool
	Entries      []struct {
		RuleNumber    *int32
		Egress        bool
		Protocol      string
		RuleAction    string
		CidrBlock     string
		Ipv6CidrBlock string
		PortRange     *struct {
			From *int32
			To   *int32
		}
		IcmpTypeCode *struct {
			Type *int32
			Code *int32
		}
	}
	Associations []struct {
		NetworkAclAssociationId string
		NetworkAclId            string
		SubnetId                string
	}
	Tags []tagShape
}

// describe-network-interfaces
type networkInterfaceShape struct {
	NetworkInterfaceId string
	SubnetId           string
	VpcId              string
	InterfaceType      string
	PrivateIpAddress   string
	PrivateIpAddresses []struct {
		PrivateIpAddress string
		Primary          bool
		Association      *associationShape
	}
	Ipv6Addresses []struct {
		Ipv6Address string
	}
	Ipv4Prefixes []struct {
		Ipv4Prefix string
	}
	Ipv6Prefixes []struct {
		Ipv6Prefix string
	}
	Groups []struct {
		GroupId   string
		GroupName string
	}
	Association                     *associationShape
	ConnectionTrackingConfiguration *struct {
		TcpEstablishedTimeout *int32
		UdpStreamTimeout      *int32
		UdpTimeout            *int32
	}
	TagSet []tagShape
	Tags   []tagShape
}

type associationShape struct {
	PublicIp string
}

// describe-managed-prefix-lists
type prefixListShape struct {
	PrefixListId   string
	PrefixListName string
	AddressFamily  string
	MaxEntries     *int
}

// get-managed-prefix-list-entries
type prefixListEntryShape struct {
	Cidr        string
	Description string
}

func tagName(tags ...[]tagShape) string {
	for _, ts := range tags {
		for _, t := range ts {
			if t.Key == "Name" {
				return t.Value
			}
		}
	}
	return ""
}

// describe-instances: only what the interfaces do not say, the instance type.
type reservationShape struct {
	Instances []struct {
		InstanceId        string
		InstanceType      string
		NetworkInterfaces []struct {
			NetworkInterfaceId string
		}
	}
}
