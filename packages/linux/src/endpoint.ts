import { type Endpoint, parseInterfaceAddress } from '@koko/core';
import type { PlanContext } from './context';
import { planMirror } from './mirror';
import type { Namespace } from './namespace';
import type { Step } from './plan';

/**
 * Plans the steps that finish an endpoint once its interface exists: tag it (`tag` is the alias),
 * bring it up, add its addresses and, if asked, mirror traffic onto it. IPv6 addresses get `nodad`
 * because a point-to-point lab link has no duplicate to detect, and the address is usable at once.
 */
export function planEndpointSetup(context: PlanContext, endpoint: Endpoint, namespace: Namespace, tag: string): Step[] {
  const name = endpoint.ifname;
  const addresses = endpoint.addresses.map(parseInterfaceAddress);
  const steps: Step[] = [];

  if (addresses.some((address) => address.family === 6)) {
    // Docker and some distributions switch IPv6 off for new interfaces; `ip addr add` would then fail.
    steps.push({ namespace, tool: 'sysctl', args: [`net/ipv6/conf/${name}/disable_ipv6=0`], description: `enable IPv6 on ${name}` });
  }
  steps.push(
    { namespace, tool: 'ip', args: ['link', 'set', 'dev', name, 'alias', tag], description: `tag ${name} with ${tag}` },
    { namespace, tool: 'ip', args: ['link', 'set', 'dev', name, 'up'], description: `bring ${name} up` },
  );
  for (const address of addresses) {
    const text = `${address.address}/${address.prefix}`;
    steps.push({
      namespace,
      tool: 'ip',
      args: ['address', 'add', text, 'dev', name, ...(address.family === 6 ? ['nodad'] : [])],
      description: `add address ${text} to ${name}`,
    });
  }
  if (endpoint.mirror) steps.push(...planMirror(context, namespace, endpoint.mirror, name));
  return steps;
}
