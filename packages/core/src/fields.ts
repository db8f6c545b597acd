import { parseIPv4 } from './address';

/**
 * Splits one option value into fields. The comma form (`c1,eth1,10.0.0.1/24`) is current koko's;
 * the colon form (`c1:eth1:10.0.0.1/24`) is the original one. A value with a comma is read as the
 * comma form; otherwise colons split off at most `leading` fields and the rest stays whole, so an
 * IPv6 address in the last field keeps its colons.
 */
export function splitFields(value: string, leading: number): string[] {
  if (value.includes(',') || !value.includes(':')) return value.split(',');
  const fields: string[] = [];
  let rest = value;
  for (let index = 0; index < leading; index++) {
    const colon = rest.indexOf(':');
    if (colon < 0) break;
    fields.push(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  fields.push(rest);
  return fields;
}

function isColonForm(value: string): boolean {
  return !value.includes(',') && value.includes(':');
}

/**
 * Splits an endpoint value (`c1,eth1,10.0.0.1/24,mirror:both:eth0` or the colon form
 * `c1:eth1:10.0.0.1/24:fd00::1/64:mirror:both:eth0`) into node, interface name and option fields.
 * `leading` is 2 when the value starts with a node, 1 for `-c`.
 */
export function splitEndpointFields(value: string, leading: number): string[] {
  const fields = splitFields(value, leading);
  if (!isColonForm(value) || fields.length <= leading) return fields;
  return [...fields.slice(0, leading), ...splitColonOptions(fields[leading]!)];
}

/**
 * Splits the options after the interface name in the colon form. An address ends at its prefix
 * length, because IPv6 groups contain no `/`, and a mirror option is always three parts, because
 * interface names contain no `:`. Parts left over without a `/` become one field, which the
 * address check then reports.
 */
function splitColonOptions(text: string): string[] {
  const parts = text.split(':');
  const fields: string[] = [];
  let pending: string[] = [];

  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    if (pending.length === 0 && part === 'mirror') {
      fields.push(parts.slice(index, index + 3).join(':'));
      index += 2;
      continue;
    }
    pending.push(part);
    if (part.includes('/')) {
      fields.push(pending.join(':'));
      pending = [];
    }
  }

  if (pending.length > 0) fields.push(pending.join(':'));
  return fields;
}

/**
 * Splits a `-x` value into parent, remote address, VNI and options. In the colon form the parent is
 * before the first colon, `key=value` options are at the end and the VNI is just before them, so an
 * IPv6 remote in between keeps its colons. A bare port after the VNI (`eth0:192.0.2.2:100:4789`) is
 * read only with an IPv4 remote: with an IPv6 remote, `fd00::2:100:4789` is remote `fd00::2:100`
 * and VNI 4789, so write `port=4789` there.
 */
export function splitVxlanFields(value: string): string[] {
  if (!isColonForm(value)) return value.split(',');

  const parts = value.split(':');
  const options: string[] = [];
  while (parts.length > 1 && parts.at(-1)!.includes('=')) options.unshift(parts.pop()!);
  if (parts.length < 3) return [...parts, ...options];
  if (parts.length === 4 && parseIPv4(parts[1]!)) return [...parts, ...options];

  const [parent, ...middle] = parts;
  const vni = middle.pop()!;
  return [parent!, middle.join(':'), vni, ...options];
}
