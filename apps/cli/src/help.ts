export const HELP = `koko: connect containers and network namespaces with point-to-point kernel links

Usage:
  koko <endpoint> <endpoint>                      veth pair between two endpoints
  koko <endpoint> -x <parent>,<remote>,<vni>[,port=N][,mtu=N]
                                                  vxlan on <parent> in this namespace
  koko <endpoint> -V <parent>,<vlan id>           vlan on <parent>
  koko <endpoint> -M <parent>,<mode>              macvlan on <parent>; mode is default,
                                                  private, vepa, bridge or passthru
  koko -D|-N|-P|-A <node>,<ifname>  or  -C <ifname>
                                                  delete an interface (a veth takes its peer)

Endpoints (the comma form; the colon form c1:eth1:10.0.0.1/24 and -x eth0:192.0.2.2:100 work too):
  -d <container>,<ifname>[,<address>/<prefix>...][,mirror:<dir>:<source>]   Docker container
  -n <netns>,<ifname>[,...]                       named namespace (ip netns list)
  -p <pid>,<ifname>[,...]                         namespace of a process
  -a <path>,<ifname>[,...]                        namespace file, e.g. /proc/1234/ns/net
  -c <ifname>[,...]                               the namespace koko runs in

  Addresses may be IPv4 or IPv6, several per endpoint. mirror:<ingress|egress|both>:<source>
  copies the traffic of interface <source> (in the same namespace) onto the new interface.

Options:
  --dry-run        print the exact commands, change nothing
  --json           print the result as JSON on standard output
  --mtu <bytes>    MTU of the new interfaces (68-65535)
  --group <n>      put the new interfaces in interface group <n> (1 or higher)
  --id <id>        link id to tag the interfaces with (default: random)
  -h, --help       show this help
  -v, --version    show the version

Examples:
  koko -d r1,eth1,10.0.0.1/24 -n lab2,eth1,10.0.0.2/24
  koko -n a,eth1,10.0.0.1/24,fd00::1/64 -n b,eth1,10.0.0.2/24,fd00::2/64
  koko -d r1,vx0,10.1.0.1/24 -x eth0,192.0.2.2,100
  koko -d r1,eth2,mirror:both:eth1 -c tap-r1
  koko -D r1,eth1

Exit status: 0 on success, 1 when a change failed (and was rolled back), 2 on invalid input.
`;
