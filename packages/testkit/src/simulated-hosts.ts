import { mustRun } from './lab';

/**
 * Joins two netns that stand in for two hosts with an underlay veth `ifname` (one end in each),
 * gives each end its address with `prefix`, and brings both up. Agents started inside the two
 * netns then report these addresses as their underlay, and vxlan links between them ride it.
 */
export async function joinByUnderlay(hostA: string, hostB: string, addressA: string, addressB: string, prefix = 24, ifname = 'under0'): Promise<void> {
  await mustRun(['ip', '-n', hostA, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', ifname, 'netns', hostB]);
  await mustRun(['ip', '-n', hostA, 'address', 'add', `${addressA}/${prefix}`, 'dev', ifname]);
  await mustRun(['ip', '-n', hostB, 'address', 'add', `${addressB}/${prefix}`, 'dev', ifname]);
  await mustRun(['ip', '-n', hostA, 'link', 'set', ifname, 'up']);
  await mustRun(['ip', '-n', hostB, 'link', 'set', ifname, 'up']);
}
