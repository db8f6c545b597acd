import { describe, expect, it } from 'vitest';
import { NamespaceLock } from '../src/namespace-lock';

/** Returns a promise that settles when `release` is called, to hold a lock for as long as a test needs. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { done, release };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('NamespaceLock', () => {
  it('runs work on one namespace one at a time', async () => {
    const lock = new NamespaceLock();
    const log: string[] = [];
    const first = gate();

    const one = lock.run({ exclusive: ['ns1'] }, async () => {
      log.push('one start');
      await first.done;
      log.push('one end');
    });
    const two = lock.run({ exclusive: ['ns1'] }, async () => {
      log.push('two start');
    });
    await tick();
    expect(log).toEqual(['one start']);

    first.release();
    await Promise.all([one, two]);
    expect(log).toEqual(['one start', 'one end', 'two start']);
  });

  it('runs work on different namespaces in parallel', async () => {
    const lock = new NamespaceLock();
    const first = gate();
    let secondRan = false;

    const one = lock.run({ exclusive: ['ns1'] }, () => first.done);
    await lock.run({ exclusive: ['ns2'] }, async () => {
      secondRan = true;
    });

    expect(secondRan).toBe(true);
    first.release();
    await one;
  });

  it('lets shared holders overlap but not with an exclusive one', async () => {
    const lock = new NamespaceLock();
    const shared = gate();
    const log: string[] = [];

    const reader1 = lock.run({ exclusive: ['a'], shared: ['current'] }, async () => {
      log.push('reader1');
      await shared.done;
    });
    await tick();
    const reader2 = lock.run({ exclusive: [], shared: ['current'] }, async () => {
      log.push('reader2');
    });
    const writer = lock.run({ exclusive: ['current'] }, async () => {
      log.push('writer');
    });
    await tick();
    expect(log).toEqual(['reader1', 'reader2']);

    shared.release();
    await Promise.all([reader1, reader2, writer]);
    expect(log).toEqual(['reader1', 'reader2', 'writer']);
  });

  it('does not deadlock on overlapping key sets', async () => {
    const lock = new NamespaceLock();
    const runs = Array.from({ length: 20 }, (_, index) =>
      lock.run({ exclusive: index % 2 ? ['x', 'y'] : ['y', 'x'] }, async () => {
        await tick();
        return index;
      }),
    );

    expect(await Promise.all(runs)).toHaveLength(20);
    expect(lock.busyKeys).toBe(0);
  });

  it('releases the keys when the work throws', async () => {
    const lock = new NamespaceLock();

    await expect(lock.run({ exclusive: ['z'] }, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lock.busyKeys).toBe(0);
    expect(await lock.run({ exclusive: ['z'] }, async () => 'again')).toBe('again');
  });
});
