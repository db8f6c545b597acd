import { Lab, koko, kokoJson } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const lab = new Lab('kc');
afterAll(() => lab.cleanup());

describe('koko command', () => {
  let a: string;
  let b: string;
  beforeAll(async () => {
    [a, b] = await Promise.all([lab.netns('a'), lab.netns('b')]);
  });

  it('prints help with examples', async () => {
    const result = await koko(['-h']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage:');
    expect(result.stdout).toContain('Examples:');
  });

  it('prints its version', async () => {
    const result = await koko(['-v']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^koko \d+\.\d+\.\d+$/);
  });

  it('prints the commands of a dry run and changes nothing', async () => {
    const before = [await lab.linkNames(a), await lab.linkNames(b)];
    const result = await koko(['--dry-run', '--id', 'dry1', '-n', `${a},eth1,10.91.0.1/24`, '-n', `${b},eth1,10.91.0.2/24`]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`link add name eth1 netns /run/netns/${a} type veth peer name eth1 netns /run/netns/${b}`);
    expect(result.stdout).toContain(`nsenter --net=/run/netns/${b} ip -batch - <<'EOF'`);
    expect(result.stdout).toContain('link set dev eth1 alias koko:dry1');
    expect(result.stdout).toContain('address add 10.91.0.2/24 dev eth1');
    expect([await lab.linkNames(a), await lab.linkNames(b)]).toEqual(before);
  });

  it('prints a JSON dry run with the batches', async () => {
    const { exitCode, output } = await kokoJson(['--dry-run', '-n', `${a},eth1`, '-n', `${b},eth1`]);
    expect(exitCode).toBe(0);
    expect(output).toMatchObject({ ok: true, action: 'create', dryRun: true, steps: 5, batches: 3 });
    expect(output.commands).toEqual(
      expect.arrayContaining([expect.objectContaining({ argv: ['nsenter', `--net=/run/netns/${a}`, 'ip', '-batch', '-'] })]),
    );
  });

  it('prints a JSON result with the link', async () => {
    const { exitCode, output } = await kokoJson(['--id', 'json1', '-n', `${a},eth2`, '-n', `${b},eth2`]);
    expect(exitCode).toBe(0);
    expect(output).toMatchObject({
      ok: true,
      action: 'create',
      links: [{ id: 'json1', kind: 'veth', settings: {}, interfaces: [{ ifname: 'eth2' }, { ifname: 'eth2' }] }],
    });
    expect(output.steps).toBeGreaterThan(0);
    expect(output.batches).toBeGreaterThan(0);
  });

  it('prints JSON errors and exits 2 on invalid input', async () => {
    const { exitCode, output } = await kokoJson(['-n', `${a},eth3`, '-x', 'eth0,192.0.2.2,0']);
    expect(exitCode).toBe(2);
    expect(output).toMatchObject({ ok: false, dryRun: false, error: { code: 'invalid', message: expect.stringContaining('VNI 0 is out of range') } });
  });

  it('exits 1 when the change conflicts', async () => {
    const { exitCode, output } = await kokoJson(['-n', `${a},eth2`, '-n', `${b},eth9`]);
    expect(exitCode).toBe(1);
    expect(output).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  it('rejects an unknown option', async () => {
    const result = await koko(['--frobnicate']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('koko: unknown option "--frobnicate"; run koko -h for the list of options');
  });
});
