import { KokoError } from './errors';
import { splitEndpointFields, splitFields, splitVxlanFields } from './fields';
import {
  type CreateOptions,
  type InterfaceRef,
  type LinkRequest,
  type NodeRef,
  createOptionsSchema,
  interfaceRefSchema,
  linkRequestSchema,
} from './model';
import { quote } from './names';
import { parseOrThrow } from './validate';

/** Output and safety switches that apply to every action of the `koko` command. */
export interface CommandFlags {
  dryRun: boolean;
  json: boolean;
}

/** The request of one `koko` command line, validated. */
export type KokoCommand =
  | { action: 'help' }
  | { action: 'version' }
  | { action: 'create'; link: LinkRequest; options: CreateOptions; flags: CommandFlags }
  | { action: 'delete'; targets: InterfaceRef[]; flags: CommandFlags };

type EndpointFlag = '-d' | '-n' | '-p' | '-a' | '-c';
type DeleteFlag = '-D' | '-N' | '-P' | '-A' | '-C';

const ENDPOINT_USAGE: Record<EndpointFlag, string> = {
  '-d': '-d <container>,<ifname>[,<address>/<prefix>...][,mirror:<ingress|egress|both>:<source ifname>]',
  '-n': '-n <netns>,<ifname>[,<address>/<prefix>...][,mirror:...]',
  '-p': '-p <pid>,<ifname>[,<address>/<prefix>...][,mirror:...]',
  '-a': '-a <netns path>,<ifname>[,<address>/<prefix>...][,mirror:...]',
  '-c': '-c <ifname>[,<address>/<prefix>...][,mirror:...]',
};

const DELETE_FOR: Record<DeleteFlag, EndpointFlag> = { '-D': '-d', '-N': '-n', '-P': '-p', '-A': '-a', '-C': '-c' };

const DELETE_USAGE: Record<DeleteFlag, string> = {
  '-D': '-D <container>,<ifname>',
  '-N': '-N <netns>,<ifname>',
  '-P': '-P <pid>,<ifname>',
  '-A': '-A <netns path>,<ifname>',
  '-C': '-C <ifname>',
};

const PARENT_USAGE = {
  '-x': '-x <parent ifname>,<remote address>,<vni>[,port=<udp port>][,mtu=<mtu>]',
  '-V': '-V <parent ifname>,<vlan id>',
  '-M': '-M <parent ifname>,<default|private|vepa|bridge|passthru>',
} as const;
type ParentFlag = keyof typeof PARENT_USAGE;

const LONG_FLAGS: Record<string, string> = {
  '--help': '-h',
  '--version': '-v',
  '--docker': '-d',
  '--netns': '-n',
  '--pid': '-p',
  '--path': '-a',
  '--current': '-c',
  '--vxlan': '-x',
  '--vlan': '-V',
  '--macvlan': '-M',
};

/** Options that take no value, so `--json=yes` is a mistake rather than a value to ignore. */
const SWITCHES = new Set(['-h', '-v', '--dry-run', '--json']);

/** Every option koko accepts, so a value that is one of them reads as a missing value. */
const KNOWN_OPTIONS = new Set([
  ...Object.keys(LONG_FLAGS),
  ...Object.values(LONG_FLAGS),
  ...SWITCHES,
  '--mtu',
  '--group',
  '--id',
  '-D',
  '-N',
  '-P',
  '-A',
  '-C',
]);

interface RawEndpoint {
  flag: EndpointFlag;
  node: NodeRef | { kind: 'pid'; pid: number };
  ifname: string;
  addresses: string[];
  mirror?: { direction: string; source: string };
}

function parseWholeNumber(text: string, what: string, usage: string): number {
  if (!/^[0-9]+$/.test(text)) throw new KokoError('invalid', `${what} ${quote(text)} is not a whole number; usage: ${usage}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new KokoError('invalid', `${what} ${quote(text)} is too large; usage: ${usage}`);
  return value;
}

function parseNode(flag: EndpointFlag, text: string): NodeRef {
  switch (flag) {
    case '-d':
      return { kind: 'docker', container: text };
    case '-n':
      return { kind: 'netns', name: text };
    case '-p':
      return { kind: 'pid', pid: parseWholeNumber(text, 'PID', ENDPOINT_USAGE['-p']) };
    case '-a':
      return { kind: 'path', path: text };
    case '-c':
      return { kind: 'current' };
  }
}

function parseEndpoint(flag: EndpointFlag, value: string): RawEndpoint {
  const usage = ENDPOINT_USAGE[flag];
  const hasNodeField = flag !== '-c';
  const fields = splitEndpointFields(value, hasNodeField ? 2 : 1);
  const leadingField = fields[0] ?? '';
  if (value.includes(',') && leadingField.includes(':') && !leadingField.startsWith('mirror:')) {
    throw new KokoError(
      'invalid',
      `${flag} ${quote(value)} mixes the colon and comma forms; separate every field with commas (${usage}) or every field with colons`,
    );
  }
  const node = parseNode(flag, hasNodeField ? (fields.shift() ?? '') : '');
  const ifname = fields.shift();
  if (ifname === undefined || (hasNodeField && value.length === 0)) {
    throw new KokoError('invalid', `${flag} ${quote(value)} has no interface name; usage: ${usage}`);
  }

  const endpoint: RawEndpoint = { flag, node, ifname, addresses: [] };
  for (const field of fields) {
    if (field.startsWith('mirror:')) {
      if (endpoint.mirror) throw new KokoError('invalid', `${flag} ${quote(value)} names more than one mirror; give one mirror per endpoint`);
      const [, direction = '', source = '', ...extra] = field.split(':');
      if (extra.length > 0 || source === '') {
        throw new KokoError('invalid', `mirror option ${quote(field)} is invalid; write it as mirror:<ingress|egress|both>:<source ifname>`);
      }
      endpoint.mirror = { direction, source };
    } else if (field === '') {
      throw new KokoError('invalid', `${flag} ${quote(value)} has an empty field; remove the extra comma or colon`);
    } else {
      endpoint.addresses.push(field);
    }
  }
  return endpoint;
}

function parseParentLink(flag: ParentFlag, value: string): Record<string, unknown> {
  const usage = PARENT_USAGE[flag];
  const fields = flag === '-x' ? splitVxlanFields(value) : splitFields(value, 1);
  const parent = fields[0] ?? '';

  if (flag === '-V') {
    if (fields.length !== 2) throw new KokoError('invalid', `-V ${quote(value)} needs a parent and a VLAN id; usage: ${usage}`);
    return { kind: 'vlan', parent, vlanId: parseWholeNumber(fields[1]!, 'VLAN id', usage) };
  }
  if (flag === '-M') {
    if (fields.length !== 2) throw new KokoError('invalid', `-M ${quote(value)} needs a parent and a mode; usage: ${usage}`);
    return { kind: 'macvlan', parent, mode: fields[1] };
  }

  if (fields.length < 3) throw new KokoError('invalid', `-x ${quote(value)} needs a parent, a remote address and a VNI; usage: ${usage}`);
  const link: Record<string, unknown> = { kind: 'vxlan', parent, remote: fields[1], vni: parseWholeNumber(fields[2]!, 'VNI', usage) };
  for (const [index, field] of fields.slice(3).entries()) {
    const [key, number] = field.includes('=') ? field.split('=', 2) : [index === 0 ? 'port' : '', field];
    if (key === 'port') link.port = parseWholeNumber(number ?? '', 'UDP port', usage);
    else if (key === 'mtu') link.mtu = parseWholeNumber(number ?? '', 'MTU', usage);
    else throw new KokoError('invalid', `-x option ${quote(field)} is unknown; use port=<udp port> or mtu=<mtu>`);
  }
  return link;
}

function toEndpointInput(endpoint: RawEndpoint): Record<string, unknown> {
  return { node: endpoint.node, ifname: endpoint.ifname, addresses: endpoint.addresses, mirror: endpoint.mirror };
}

function parseDelete(flag: DeleteFlag, value: string): InterfaceRef {
  const endpointFlag = DELETE_FOR[flag];
  const hasNodeField = endpointFlag !== '-c';
  const fields = splitFields(value, 1);
  const expected = hasNodeField ? 2 : 1;
  if (fields.length !== expected) throw new KokoError('invalid', `${flag} ${quote(value)} is invalid; usage: ${DELETE_USAGE[flag]}`);
  const node = parseNode(endpointFlag, hasNodeField ? fields[0]! : '');
  return parseOrThrow(interfaceRefSchema, { node, ifname: fields[expected - 1] });
}

/**
 * Pulls the value of a flag that takes one, accepting both `--flag value` and `--flag=value`. A next
 * argument that is itself an option means the value is missing; `--flag=value` passes any value.
 */
function takeValue(args: string[], index: number, flag: string, inline: string | undefined): [string, number] {
  if (inline !== undefined) return [inline, index];
  const value = args[index + 1];
  if (value === undefined) throw new KokoError('invalid', `${flag} needs a value; run koko -h for the syntax`);
  if (KNOWN_OPTIONS.has(value.split('=')[0]!)) {
    throw new KokoError('invalid', `${flag} needs a value, but the next argument is the option ${quote(value)}; run koko -h for the syntax`);
  }
  return [value, index + 1];
}

/** Parses the arguments of the `koko` command (without the program name) into a validated command. */
export function parseKokoArgs(args: string[]): KokoCommand {
  const endpoints: RawEndpoint[] = [];
  const deletes: InterfaceRef[] = [];
  let parentLink: { flag: ParentFlag; link: Record<string, unknown> } | undefined;
  const flags: CommandFlags = { dryRun: false, json: false };
  const options: Record<string, unknown> = {};
  let linkMtu: number | undefined;
  let linkId: string | undefined;

  if (args.length === 0) return { action: 'help' };

  for (let index = 0; index < args.length; index++) {
    const raw = args[index]!;
    const equals = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const name = equals > 0 ? raw.slice(0, equals) : raw;
    const inline = equals > 0 ? raw.slice(equals + 1) : undefined;
    const flag = LONG_FLAGS[name] ?? name;
    let value: string;
    if (inline !== undefined && SWITCHES.has(flag)) {
      throw new KokoError('invalid', `${name} takes no value; remove ${quote(`=${inline}`)}`);
    }

    switch (flag) {
      case '-h':
        return { action: 'help' };
      case '-v':
        return { action: 'version' };
      case '--dry-run':
        flags.dryRun = true;
        break;
      case '--json':
        flags.json = true;
        break;
      case '--group':
        [value, index] = takeValue(args, index, flag, inline);
        options.group = parseWholeNumber(value, 'interface group', '--group <number>');
        break;
      case '--mtu':
        [value, index] = takeValue(args, index, flag, inline);
        linkMtu = parseWholeNumber(value, 'MTU', '--mtu <bytes>');
        break;
      case '--id':
        [value, index] = takeValue(args, index, flag, inline);
        linkId = value;
        break;
      case '-d':
      case '-n':
      case '-p':
      case '-a':
      case '-c':
        [value, index] = takeValue(args, index, flag, inline);
        endpoints.push(parseEndpoint(flag, value));
        break;
      case '-x':
      case '-V':
      case '-M':
        [value, index] = takeValue(args, index, flag, inline);
        if (parentLink) {
          throw new KokoError('invalid', `${flag} and ${parentLink.flag} both given; one command makes one link, so give only one of -x, -V and -M`);
        }
        parentLink = { flag, link: parseParentLink(flag, value) };
        break;
      case '-D':
      case '-N':
      case '-P':
      case '-A':
      case '-C':
        [value, index] = takeValue(args, index, flag, inline);
        deletes.push(parseDelete(flag, value));
        break;
      default:
        if (raw.startsWith('-')) throw new KokoError('invalid', `unknown option ${quote(raw)}; run koko -h for the list of options`);
        throw new KokoError('invalid', `unexpected argument ${quote(raw)}; every value follows an option such as -d or -n (run koko -h)`);
    }
  }

  if (deletes.length > 0) {
    if (endpoints.length > 0 || parentLink) {
      throw new KokoError('invalid', 'delete options (-D, -N, -P, -A, -C) cannot be mixed with create options in one command; run them as two commands');
    }
    const createOnly = [linkMtu !== undefined && '--mtu', options.group !== undefined && '--group', linkId !== undefined && '--id'].filter(
      (option) => option !== false,
    );
    if (createOnly.length === 1) {
      throw new KokoError('invalid', `${createOnly[0]} only applies when creating a link; remove it from the delete command`);
    }
    if (createOnly.length > 1) {
      const list = `${createOnly.slice(0, -1).join(', ')} and ${createOnly.at(-1)}`;
      throw new KokoError('invalid', `${list} only apply when creating a link; remove them from the delete command`);
    }
    return { action: 'delete', targets: deletes, flags };
  }

  let link: unknown;
  if (parentLink) {
    if (endpoints.length !== 1) {
      throw new KokoError('invalid', `${parentLink.flag} makes a link for exactly one endpoint, but ${endpoints.length} were given; usage: koko -d <container>,<ifname> ${PARENT_USAGE[parentLink.flag]}`);
    }
    if (linkMtu !== undefined && parentLink.link.mtu !== undefined) {
      throw new KokoError('invalid', `MTU given twice, as --mtu ${linkMtu} and as mtu=${String(parentLink.link.mtu)} in -x; give it once`);
    }
    link = { ...parentLink.link, id: linkId, mtu: linkMtu ?? parentLink.link.mtu, endpoint: toEndpointInput(endpoints[0]!) };
  } else if (endpoints.length === 2) {
    link = { kind: 'veth', id: linkId, mtu: linkMtu, a: toEndpointInput(endpoints[0]!), b: toEndpointInput(endpoints[1]!) };
  } else if (endpoints.length === 0) {
    throw new KokoError('invalid', 'nothing to do: give two endpoints for a veth (koko -n a,eth1 -n b,eth1), or one endpoint and -x, -V or -M');
  } else if (endpoints.length === 1) {
    throw new KokoError('invalid', 'one endpoint makes no link; add a second endpoint for a veth, or -x, -V or -M to attach it to a parent interface');
  } else {
    throw new KokoError('invalid', `a veth joins exactly two endpoints, but ${endpoints.length} were given; remove the extra ones`);
  }

  return {
    action: 'create',
    link: parseOrThrow(linkRequestSchema, link),
    options: parseOrThrow(createOptionsSchema, options),
    flags,
  };
}

/** Returns the `koko` command that deletes interface `ifname` of `node`, for hints in error messages. */
export function deleteCommandFor(node: NodeRef, ifname: string): string {
  switch (node.kind) {
    case 'docker':
      return `koko -D ${node.container},${ifname}`;
    case 'netns':
      return `koko -N ${node.name},${ifname}`;
    case 'pid':
      return `koko -P ${node.pid},${ifname}`;
    case 'path':
      return `koko -A ${node.path},${ifname}`;
    case 'current':
      return `koko -C ${ifname}`;
  }
}
