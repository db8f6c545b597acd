import { KokoError, MTU_MIN, quote, VXLAN_OVERHEAD, VXLAN_OVERHEAD_IPV6 } from '@koko/core';

/** The underlay of one host as a vxlan end uses it: its address, the interface that carries it, and that interface's MTU. */
export interface HostUnderlay {
  hostName: string;
  address: string;
  /** Interface the vxlan end hangs off (its parent). */
  parent: string;
  /** MTU of the parent interface when the agent last reported it. */
  mtu: number;
  family: 4 | 6;
}

/** Returns the largest MTU a vxlan end over `underlay` can carry: the parent's MTU less the outer headers. */
export function vxlanMtuLimit(underlay: HostUnderlay): number {
  return underlay.mtu - (underlay.family === 6 ? VXLAN_OVERHEAD_IPV6 : VXLAN_OVERHEAD);
}

/** Rejects a vxlan pair whose hosts use underlay addresses of two families, since one end cannot send IPv4 to an IPv6 remote. */
export function checkUnderlayFamilies(a: HostUnderlay, b: HostUnderlay): void {
  if (a.family === b.family) return;
  throw new KokoError(
    'invalid',
    `host ${quote(a.hostName)} uses underlay ${a.address} (IPv${a.family}) but host ${quote(b.hostName)} uses ${b.address} (IPv${b.family}); ` +
      'a vxlan pair needs underlay addresses of one family, so pick matching ones with hosts.update',
    'underlay',
  );
}

/**
 * Returns the MTU both ends of a vxlan pair get: the user's `requested` MTU, or else the most that
 * both parents carry, so a full-size packet crosses without being dropped. Both ends get the same
 * MTU, because an end with a larger one would send packets that the other end's parent drops.
 * Throws an invalid error that names the limit when `requested` is larger.
 */
export function vxlanPairMtu(a: HostUnderlay, b: HostUnderlay, requested: number | undefined): number {
  checkUnderlayFamilies(a, b);
  const tightest = vxlanMtuLimit(a) <= vxlanMtuLimit(b) ? a : b;
  const limit = vxlanMtuLimit(tightest);
  const where = `parent interface ${quote(tightest.parent)} (MTU ${tightest.mtu}) of host ${quote(tightest.hostName)}`;
  if (limit < MTU_MIN) {
    throw new KokoError('invalid', `${where} is too small for a vxlan, which needs a parent MTU of at least ${MTU_MIN + tightest.mtu - limit}; raise the MTU of ${tightest.parent} or pick another underlay`, 'underlay');
  }
  if (requested === undefined) return limit;
  if (requested > limit) {
    throw new KokoError(
      'invalid',
      `MTU ${requested} is larger than ${limit}, the most a vxlan over IPv${tightest.family} can carry over ${where}; use ${limit} or less, or raise the MTU of ${tightest.parent} on host ${quote(tightest.hostName)}`,
      'mtu',
    );
  }
  return requested;
}
