import { describe, expect, it } from 'vitest';
import { linkDetailsOf, type LinkDetailInput } from '../../src/client/link-details';

const counters = { rxBytes: 1200, rxPackets: 12, txBytes: 800, txPackets: 8, rxDropped: 0, txDropped: 1 };

function detail(stats: LinkDetailInput['stats']): LinkDetailInput {
  return {
    mtu: 1500,
    createdBy: 'ana',
    createdAt: '2026-12-04T10:00:00.000Z',
    statusChangedAt: '2026-12-04T10:00:01.000Z',
    lastError: null,
    endpoints: [
      { nodeId: 'n1', ifname: 'eth1' },
      { nodeId: 'n2', ifname: 'eth1' },
    ],
    stats,
  };
}

describe('linkDetailsOf', () => {
  it('keys counters by node and interface, so equal names stay apart', () => {
    const details = linkDetailsOf(
      detail([
        { ifname: 'eth1', stats: { state: 'UP', counters }, error: null },
        { ifname: 'eth1', stats: { state: 'UP', counters: { ...counters, rxBytes: 5 } }, error: null },
      ]),
    );

    expect(details.counters.get('n1/eth1')?.rxBytes).toBe(1200);
    expect(details.counters.get('n2/eth1')?.rxBytes).toBe(5);
    expect(details.counters.get('n1/eth1')?.state).toBe('UP');
    expect(details.counterErrors).toEqual([]);
  });

  it('keeps the agent error of an end without counters', () => {
    const details = linkDetailsOf(
      detail([
        { ifname: 'eth1', stats: { state: 'UP', counters }, error: null },
        { ifname: 'eth1', stats: null, error: 'host "beta" is not online' },
      ]),
    );

    expect(details.counters.get('n2/eth1')).toBeNull();
    expect(details.counterErrors).toEqual(['eth1: host "beta" is not online']);
  });

  it('copies who made the link and when', () => {
    const details = linkDetailsOf(detail([]));

    expect(details.createdBy).toBe('ana');
    expect(details.mtu).toBe(1500);
    expect(details.counters.get('n1/eth1')).toBeNull();
  });
});
