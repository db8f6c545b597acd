import { describe, expect, it } from 'vitest';
import { formatAgentPlan, formatPlan, type PlanLike } from '../../src/client/plan-text';

const plan: PlanLike = {
  links: [{ summary: 'veth r1:eth1 <-> r2:eth1' }],
  deleted: [],
  batches: [
    { namespace: 'the current namespace', argv: ['ip', '-batch', '-'], input: ['link add eth1 netns /proc/1/ns/net type veth peer name eth1 netns /proc/2/ns/net'] },
    { namespace: 'container "r1"', argv: ['nsenter', '--net=/proc/1/ns/net', 'ip', '-batch', '-'], input: ['addr add 10.0.0.1/30 dev eth1', 'link set eth1 up'] },
  ],
};

describe('formatAgentPlan', () => {
  it('prints each batch as a here-document under its namespace', () => {
    expect(formatAgentPlan(plan)).toBe(
      [
        '# veth r1:eth1 <-> r2:eth1',
        '# in the current namespace',
        "ip -batch - <<'EOF'",
        'link add eth1 netns /proc/1/ns/net type veth peer name eth1 netns /proc/2/ns/net',
        'EOF',
        '# in container "r1"',
        "nsenter --net=/proc/1/ns/net ip -batch - <<'EOF'",
        'addr add 10.0.0.1/30 dev eth1',
        'link set eth1 up',
        'EOF',
      ].join('\n'),
    );
  });

  it('quotes an argument with a space', () => {
    expect(formatAgentPlan({ batches: [{ namespace: 'x', argv: ['echo', 'a b', "it's"] }] })).toBe("# in x\necho 'a b' 'it'\\''s'");
  });
});

describe('formatPlan', () => {
  it('prints one section per host', () => {
    const text = formatPlan({ hosts: [{ hostName: 'alpha', plan }, { hostName: 'beta', plan: { batches: [] } }] });

    expect(text).toContain('# on host alpha\n# veth');
    expect(text).toContain('# on host beta');
  });

  it('accepts a bare list of host plans', () => {
    expect(formatPlan([{ hostId: 'h1', plan: { batches: [] } }])).toBe('# on host h1\n');
  });

  it('falls back to JSON for a shape it does not know', () => {
    expect(formatPlan({ commands: 1 })).toBe('{\n  "commands": 1\n}');
  });
});
