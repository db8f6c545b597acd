import type { NodeRef } from '@koko/core';
import type { EndpointSpec, LabFile, LinkSpec } from '@koko/db';

/** Characters a shell word may contain without quotes. */
const PLAIN_WORD = /^[A-Za-z0-9_.,:/=@+%-]+$/;

export function shellQuote(word: string): string {
  return PLAIN_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Returns the koko option and first field that name a node: `-d r1`, `-n lab`, `-c` (no field). */
function nodeOption(node: NodeRef): [string, string | undefined] {
  switch (node.kind) {
    case 'docker':
      return ['-d', node.container];
    case 'netns':
      return ['-n', node.name];
    case 'pid':
      return ['-p', String(node.pid)];
    case 'path':
      return ['-a', node.path];
    case 'current':
      return ['-c', undefined];
  }
}

/** Writes one endpoint in koko's comma form: `-d r1,eth1,192.0.2.1/30`. */
function endpointWords(end: EndpointSpec): string[] {
  const [option, node] = nodeOption(end.node);
  const fields = [...(node === undefined ? [] : [node]), end.ifname, ...end.addresses];
  if (end.mirror) fields.push(`mirror:${end.mirror.direction}:${end.mirror.source}`);
  return [option, fields.join(',')];
}

/** Writes the koko command that makes one end of `link` on the host of `end`, or the whole veth. */
function commandFor(link: LinkSpec, end: EndpointSpec, group: number, remoteOf: (host: string) => string): string {
  const words = [...endpointWords(end)];
  switch (link.kind) {
    case 'veth':
      words.push(...endpointWords(link.b!));
      break;
    case 'vxlan': {
      const other = end === link.a ? link.b : link.a;
      const remote = other ? remoteOf(other.host) : link.remote!;
      const port = link.port !== undefined && link.port !== 4789 ? `,port=${link.port}` : '';
      words.push('-x', `${end.parent},${remote},${link.vni}${port}`);
      break;
    }
    case 'vlan':
      words.push('-V', `${end.parent},${link.vlanId}`);
      break;
    case 'macvlan':
      words.push('-M', `${end.parent},${link.macvlanMode ?? 'default'}`);
      break;
  }
  if (link.mtu !== undefined) words.push('--mtu', String(link.mtu));
  words.push('--id', link.id, '--group', String(group));
  // $KOKO stays unquoted, so KOKO="pnpm -s koko" splits into words.
  return ['$KOKO', ...words.map(shellQuote)].join(' ');
}

/**
 * Writes a lab as a POSIX shell script of koko commands with one part per host, run as
 * `sh lab.sh HOST` on each host. Every interface gets the lab's group, so
 * `ip link del group N` on a host removes the lab there. `underlays` maps host names to the
 * underlay address other hosts' vxlan ends send to.
 */
export function labScriptOf(file: LabFile, group: number, underlays: Map<string, string | null>): string {
  const commands = new Map<string, string[]>();
  const remoteOf = (host: string) => underlays.get(host) ?? `UNDERLAY_OF_${host.replace(/[^A-Za-z0-9_]/g, '_')}`;
  for (const link of file.links) {
    const ends = link.kind === 'veth' || link.b === undefined ? [link.a] : [link.a, link.b];
    for (const end of ends) commands.set(end.host, [...(commands.get(end.host) ?? []), commandFor(link, end, group, remoteOf)]);
  }

  const hosts = [...commands.keys()].sort();
  const lines = [
    '#!/bin/sh',
    `# koko lab ${JSON.stringify(file.lab.name)}: ${file.links.length} link(s) on ${hosts.length} host(s).`,
    '# Run it as root on each host with that host\'s name: sh THIS_FILE HOST',
    '# KOKO names the koko command; from a koko checkout use: KOKO="pnpm -s koko".',
    `# Remove the lab from a host again with: ip link del group ${group} (in each namespace it used).`,
    'set -e',
    'KOKO=${KOKO:-koko}',
    '',
    'case "${1:-}" in',
  ];
  for (const host of hosts) {
    lines.push(`  ${shellQuote(host)})`);
    for (const command of commands.get(host)!) lines.push(`    ${command}`);
    lines.push('    ;;');
  }
  lines.push('  *)', `    echo "usage: sh $0 HOST, where HOST is one of: ${hosts.join(' ') || '(none: the lab has no links)'}" >&2`, '    exit 2', '    ;;', 'esac', '');
  return lines.join('\n');
}
