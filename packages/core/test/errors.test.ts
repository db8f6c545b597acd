import { describe, expect, it } from 'vitest';
import { isKokoError, KokoError, withBatchPosition } from '../src/errors';

describe('isKokoError', () => {
  it('accepts a KokoError', () => {
    expect(isKokoError(new KokoError('conflict', 'taken', 'ifname'))).toBe(true);
  });

  it('accepts one from another copy', () => {
    // What a second bundled copy of this module makes: another class, the same registered symbol.
    class CopiedKokoError extends Error {
      readonly code = 'not-found';
    }
    const copy = Object.assign(new CopiedKokoError('link "x" does not exist'), { [Symbol.for('koko.KokoError')]: true });
    expect(copy instanceof KokoError).toBe(false);
    expect(isKokoError(copy)).toBe(true);
  });

  it('rejects look-alikes and non-objects', () => {
    const named = Object.assign(new Error('taken'), { name: 'KokoError', code: 'conflict' });
    expect(isKokoError(named)).toBe(false);
    expect(isKokoError(null)).toBe(false);
    expect(isKokoError('KokoError')).toBe(false);
  });
});

describe('withBatchPosition', () => {
  it('prefixes message and field', () => {
    const error = withBatchPosition(new KokoError('conflict', 'interface "eth1" is taken', 'a.ifname'), 2, 200) as KokoError;
    expect(error.message).toBe('link 3 of 200: interface "eth1" is taken');
    expect(error.field).toBe('links.2.a.ifname');
    expect(error.code).toBe('conflict');
  });

  it('passes other errors unchanged', () => {
    const plain = new Error('disk full');
    expect(withBatchPosition(plain, 0, 1)).toBe(plain);
  });
});
