import { KokoError } from '@koko/core';
import { planCreate, planDelete } from '@koko/linux';
import { Lab, koko, mustRun } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const lab = new Lab('ki');
afterAll(() => lab.cleanup());

/** Interface names that would add a command to an `ip -batch` line, or to a copied shell line. */
const HOSTILE_NAMES = ['eth1 type dummy', 'e1\nlink del eth0', 'e1;reboot', 'e1#', 'e1"x', "e1'x", 'e1$(id)', 'e1\tx'];

async function rootLinks(): Promise<string> {
  return mustRun(['ip', '-o', 'link', 'show']).then((text) => text.replace(/\\.*$/gm, '').split('\n').map((line) => line.split(':')[1]).join(','));
}

describe('names that could inject commands', () => {
  let a: string;
  let b: string;
  beforeAll(async () => {
    [a, b] = await Promise.all([lab.netns('a'), lab.netns('b')]);
  });

  it.each(HOSTILE_NAMES)('koko rejects interface name %j and changes nothing', async (name) => {
    const before = [await lab.linkNames(a), await lab.linkNames(b), await rootLinks()];
    const result = await koko(['-n', `${a},${name}`, '-n', `${b},ok1`]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`interface name ${JSON.stringify(name)}`);
    expect([await lab.linkNames(a), await lab.linkNames(b), await rootLinks()]).toEqual(before);
  });

  it.each(HOSTILE_NAMES)('the engine rejects interface name %j', async (name) => {
    const request = { kind: 'veth' as const, a: { node: { kind: 'netns' as const, name: a }, ifname: name }, b: { node: { kind: 'netns' as const, name: b }, ifname: 'ok1' } };
    await expect(planCreate([request])).rejects.toBeInstanceOf(KokoError);
    await expect(planCreate([request])).rejects.toMatchObject({ code: 'invalid' });
  });

  it('rejects a netns name with a space', async () => {
    const result = await koko(['-n', 'a b,eth1', '-n', `${b},eth1`]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('netns name "a b" contains a space');
  });

  it('rejects a mirror source with a semicolon', async () => {
    const result = await koko(['-n', `${a},eth1,mirror:both:eth0;reboot`, '-n', `${b},eth1`]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('interface name "eth0;reboot" contains ";"');
  });

  it('rejects a namespace path with a newline', async () => {
    await expect(planCreate([{ kind: 'veth', a: { node: { kind: 'path', path: '/run/netns/x\nlink del lo' }, ifname: 'e1' }, b: { node: { kind: 'netns', name: b }, ifname: 'e1' } }])).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('contains a newline'),
    });
  });

  it('rejects a hostile name in a delete', async () => {
    await expect(planDelete([{ node: { kind: 'netns', name: a }, ifname: 'lo\nlink del eth0' }])).rejects.toMatchObject({ code: 'invalid' });
  });
});
