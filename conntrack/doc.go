// Package conntrack tracks connections the way an AWS ENI does.
//
// A Table holds one ENI's tracked flows (SPEC.md §2). The simulator looks a
// packet up (Lookup, or LookupRelated for an ICMP error), lets the
// security group decide, and then either advances the entry it found
// (Update) or creates one (Insert), which fails only when the ENI's
// conntrack allowance is used up (SPEC.md §2.6). Time is always an
// argument (packet.Time); nothing here reads a clock.
//
// What is tracked, and for how long:
//   - TCP by 5-tuple, through Linux's state machine (tcp.go; SPEC.md §5.3),
//     with the ENI's established timeout (432000 s, or 350 s on Nitro v6)
//     and Linux's timeouts for the states AWS does not document (§5.1).
//     A TCP segment without SYN that finds no entry is picked up as
//     ESTABLISHED unless Config.NoMidStreamPickup is set.
//   - UDP by 5-tuple: 30 s until the flow has seen more than one
//     request-response transaction, then the stream timeout, 180 s
//     (udp.go; §2.4). ProfileLinux uses Linux's rule instead (§5.2).
//   - ICMP echo by addresses and identifier, other ICMP by addresses and
//     message class (icmp.go); 30 s, Linux's value, as AWS documents none.
//     ICMP errors create nothing; LookupRelated finds the flow they quote.
//   - Every other protocol by addresses and protocol number only, 600 s
//     (other.go; CT3).
//
// Expiry is lazy (the lookup that meets an expired entry removes it) plus
// incremental sweeps (Table.Sweep); both report the expiry at last-seen +
// timeout. A packet exactly at that instant finds the entry gone.
//
// Storage is a pointer-free open-addressing table (slots.go): 56 B per slot,
// about 117 B per connection at 1 M connections, never scanned by the
// garbage collector. Lookup, Update, Insert into a pre-sized table, and
// Sweep do not allocate.
package conntrack
