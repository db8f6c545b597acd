import { Lab, ipLinks, mustRun } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespaceReader, readInterfaces, readInventory, resolveNamespace, type Namespace } from '../src/index';

const lab = new Lab('knr');
afterAll(() => lab.cleanup());

/** Polls `check` every 25 ms until it returns true, for at most `timeoutMs`. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('namespace reader', () => {
  let a: string;
  let b: string;
  let namespaceA: Namespace;
  let namespaceB: Namespace;

  beforeAll(async () => {
    [a, b] = await Promise.all([lab.netns('a'), lab.netns('b')]);
    await mustRun(['ip', '-n', a, 'link', 'add', 'knr0', 'mtu', '1300', 'type', 'veth', 'peer', 'name', 'knr1', 'netns', b]);
    await mustRun(['ip', '-n', a, 'address', 'add', '10.91.0.1/30', 'dev', 'knr0']);
    [namespaceA, namespaceB] = await Promise.all([resolveNamespace({ kind: 'netns', name: a }), resolveNamespace({ kind: 'netns', name: b })]);
  });

  it('reads what a process of its own reads', async () => {
    const reader = new NamespaceReader(namespaceA);
    try {
      const [throughReader, spawned] = await Promise.all([reader.read(), readInterfaces(namespaceA)]);
      const view = (infos: typeof spawned) => infos.map((info) => ({ name: info.name, mtu: info.mtu, addresses: info.addresses.map((entry) => entry.address) }));
      expect(view(throughReader)).toEqual(view(spawned));
      expect(view(throughReader)).toContainEqual({ name: 'knr0', mtu: 1300, addresses: ['10.91.0.1'] });
    } finally {
      reader.stop();
    }
  });

  it('sees changes made between reads', async () => {
    const reader = new NamespaceReader(namespaceA);
    try {
      expect((await reader.read()).map((info) => info.name)).not.toContain('knr2');
      await mustRun(['ip', '-n', a, 'link', 'add', 'knr2', 'type', 'veth', 'peer', 'name', 'knr3']);
      const [first, second] = await Promise.all([reader.read(), reader.read()]);
      expect(first.map((info) => info.name)).toContain('knr2');
      expect(second.map((info) => info.name)).toContain('knr3');
    } finally {
      reader.stop();
      await mustRun(['ip', '-n', a, 'link', 'del', 'knr2']);
    }
  });

  it('rejects reads after stop', async () => {
    const reader = new NamespaceReader(namespaceA);
    reader.stop();
    expect(reader.alive).toBe(false);
    await expect(reader.read()).rejects.toThrow(/ip reader in netns "knr[0-9a-f]+-a" has stopped/);
  });

  it('fails reads when its namespace file is gone', async () => {
    const reader = new NamespaceReader({ key: 'none', label: 'netns "none"', file: `/run/netns/${lab.prefix}-missing`, node: { kind: 'netns', name: `${lab.prefix}-missing` } });
    await expect(reader.read()).rejects.toThrow(/ip reader in netns "none" ended \(exit code 1\)/);
    expect(reader.alive).toBe(false);
  });

  it('keeps a deleted netns alive until it stops', async () => {
    const deleted = await lab.netns('gone');
    await mustRun(['ip', '-n', deleted, 'link', 'add', 'knr4', 'type', 'veth', 'peer', 'name', 'knr5', 'netns', b]);
    const reader = new NamespaceReader(await resolveNamespace({ kind: 'netns', name: deleted }));
    await reader.read();

    await mustRun(['ip', 'netns', 'del', deleted]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await ipLinks(b)).map((link) => link.ifname)).toContain('knr5');

    reader.stop();
    await eventually('the veth end in b to go', async () => !(await ipLinks(b)).some((link) => link.ifname === 'knr5'));
  });

  it('serves the inventory for its namespace key', async () => {
    // The lookup returns b's reader for a's key, so a's entry lists b's interfaces only if the inventory used the reader.
    const reader = new NamespaceReader(namespaceB);
    try {
      const inventory = await readInventory({ readerFor: (key) => (key === namespaceA.key ? reader : undefined) });
      const entryA = inventory.namespaces.find((entry) => entry.key === namespaceA.key)!;
      const entryB = inventory.namespaces.find((entry) => entry.key === namespaceB.key)!;
      expect(entryA.interfaces.map((info) => info.name)).toContain('knr1');
      expect(entryB.interfaces.map((info) => info.name)).toContain('knr1');
    } finally {
      reader.stop();
    }
  });

  it('falls back to a process when the reader has stopped', async () => {
    const reader = new NamespaceReader(namespaceB);
    reader.stop();
    const inventory = await readInventory({ readerFor: (key) => (key === namespaceA.key ? reader : undefined) });
    const entryA = inventory.namespaces.find((entry) => entry.key === namespaceA.key)!;
    expect(entryA.interfaces.map((info) => info.name)).toContain('knr0');
  });
});
