import { existsSync } from 'node:fs';
import { KokoError } from '@koko/core';
import { CommandError, runCommand } from './exec';

/** The kernel module that provides each link kind, for error messages. */
const MODULE_OF_KIND: Record<string, string> = {
  veth: 'veth',
  vxlan: 'vxlan',
  vlan: '8021q',
  macvlan: 'macvlan',
};

/** Messages iproute2 prints when the kernel lacks a link kind, a qdisc, a classifier or an action. */
const MISSING_FEATURE = /Unknown device type|Specified qdisc kind is unknown|Unknown filter|Unknown action|Specified filter kind is unknown|Action .* could not be found/;

const probes = new Map<string, Promise<boolean>>();

/**
 * Runs `argv` in a new, empty network namespace (`unshare --net`) and reports whether the kernel
 * knew the feature it asked for. Any failure other than "unknown kind" still proves the feature
 * exists, since the kernel looked the kind up before it rejected the request.
 */
async function probe(name: string, argv: string[], input?: string): Promise<boolean> {
  let result = probes.get(name);
  if (!result) {
    result = runCommand(['unshare', '--net', ...argv], input).then(
      () => true,
      (error: unknown) => {
        if (error instanceof CommandError && MISSING_FEATURE.test(error.stderr)) return false;
        if (error instanceof CommandError && error.exitCode !== undefined) return true;
        throw error;
      },
    );
    probes.set(name, result);
  }
  return result;
}

/** Throws a KokoError if the running kernel cannot make links of `kind`. */
export async function requireLinkKind(kind: string): Promise<void> {
  const supported = await probe(`link:${kind}`, ['ip', 'link', 'add', 'kokoprobe0', 'type', kind]);
  if (!supported) {
    const module = MODULE_OF_KIND[kind] ?? kind;
    throw new KokoError('unsupported', `this kernel has no ${kind} support (${module} module); nothing was changed. Use another link kind, or a kernel built with ${module}`);
  }
}

/** Throws a KokoError unless tc can mirror traffic here: the clsact qdisc, the u32 classifier and the mirred action. */
export async function requireMirrorSupport(): Promise<void> {
  const checks: [string, string, string][] = [
    ['qdisc:clsact', 'qdisc add dev lo clsact\n', 'the clsact qdisc (sch_ingress module)'],
    [
      'filter:u32+mirred',
      'qdisc add dev lo clsact\nfilter add dev lo ingress protocol all u32 match u8 0 0 action mirred egress mirror dev lo\n',
      'the u32 classifier or the mirred action (cls_u32, act_mirred modules)',
    ],
  ];
  for (const [name, batch, what] of checks) {
    if (!(await probe(name, ['tc', '-batch', '-'], batch))) {
      throw new KokoError('unsupported', `this kernel has no ${what}, which traffic mirroring needs; nothing was changed. Remove the mirror option, or use a kernel with it`);
    }
  }
}

/** Throws a KokoError if IPv6 is switched off in this kernel (booted with ipv6.disable=1). */
export function requireIPv6(): void {
  if (!existsSync('/proc/sys/net/ipv6')) {
    throw new KokoError('unsupported', 'this kernel has IPv6 switched off (no /proc/sys/net/ipv6); nothing was changed. Give IPv4 addresses only');
  }
}
