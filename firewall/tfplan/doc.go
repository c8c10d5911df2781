// Package tfplan reads a network's filtering rules from the output of
// terraform show -json, of a plan or of a state, into a firewall.Inventory.
//
// Resources read: aws_vpc (and its CIDR block associations), aws_subnet,
// aws_security_group and aws_default_security_group (inline ingress and
// egress), aws_security_group_rule, aws_vpc_security_group_ingress_rule and
// _egress_rule, aws_network_acl and aws_default_network_acl (inline),
// aws_network_acl_rule, aws_network_acl_association, aws_network_interface,
// aws_instance, aws_nat_gateway, aws_network_interface_sg_attachment,
// aws_eip, aws_ec2_managed_prefix_list (and _entry), and the data sources
// aws_prefix_list and aws_ec2_managed_prefix_list, in the root module and
// every child module. Any other resource type is reported as a Warning by
// address and position ("unsupported resource type aws_lb ignored").
//
// Names are resource addresses ("module.net.aws_subnet.a[0]"); IDs are the
// AWS IDs from values.id, or the address while the ID is unknown until
// apply. In a plan, a reference whose value is unknown (a subnet_id, the
// vpc_security_group_ids of an instance) is resolved through the
// configuration's expressions ("references": ["aws_security_group.web.id"])
// to the referenced resource's ID; every such assumption — and every other
// one, such as the first free address of its subnet for an instance whose
// private_ip is unknown — is reported as a Warning naming the resource. A
// VPC whose default security group or network ACL the configuration does not
// manage gets them as AWS creates them (SPEC.md §1.3, §3.3), with a warning.
//
// A state lists the rules of separate rule resources twice (the group's or
// ACL's computed ingress/egress holds them too): identical copies are merged.
// Errors are *firewall.Error values with file:line:col positions, with the
// precision package awsjson documents: the key of the offending attribute
// (or the list element, or the resource object when the attribute is
// absent). Warnings point at the resource object, except those about port
// and ICMP values that AWS ignores for a rule's protocol (SPEC.md §1.1,
// §3.2), which point at the attribute; 0 and -1 count as "not given" there,
// since Terraform requires from_port = to_port = 0 for protocol -1 and
// state holds 0 for unset values.
package tfplan
