/** Value ranges that the kernel enforces, checked up front so a bad value never reaches a plan. */
export const VNI_MIN = 1;
/** VXLAN network identifiers are 24 bits wide (RFC 7348). */
export const VNI_MAX = 16_777_215;
export const VLAN_ID_MIN = 1;
/** 4095 is reserved by IEEE 802.1Q, so 4094 is the highest usable VLAN id. */
export const VLAN_ID_MAX = 4094;
export const PORT_MIN = 1;
export const PORT_MAX = 65_535;
/** The kernel's minimum MTU for Ethernet-like devices (IPv4 needs 68 bytes). */
export const MTU_MIN = 68;
export const MTU_MAX = 65_535;
/** Least MTU of a link that carries IPv6 (RFC 8200); below it Linux removes IPv6 from the interface. */
export const IPV6_MIN_MTU = 1280;
/** The IANA port for VXLAN, used when the user gives none. */
export const VXLAN_DEFAULT_PORT = 4789;
/** Bytes a VXLAN header stack adds over IPv4: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
export const VXLAN_OVERHEAD = 50;
/** The same over IPv6, whose header is 20 bytes longer. */
export const VXLAN_OVERHEAD_IPV6 = 70;
/** Largest PID the kernel can hand out (PID_MAX_LIMIT on 64-bit). */
export const PID_MAX = 4_194_304;
/** Interface groups are 32-bit; 0 is the kernel's "default" group. */
export const GROUP_MAX = 4_294_967_295;

/** macvlan modes; `default` passes no mode, so the kernel picks its own default (vepa). */
export const MACVLAN_MODES = ['default', 'private', 'vepa', 'bridge', 'passthru'] as const;
