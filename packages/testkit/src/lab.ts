import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { execa } from 'execa';

/** The image tests start containers from; scripts/test-image.sh builds it. */
export const TEST_IMAGE = process.env.KOKO_TEST_IMAGE ?? 'koko-test-busybox:latest';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell and returns its output whatever the exit code. */
export async function run(argv: readonly string[], input?: string): Promise<RunResult> {
  const [file, ...args] = argv;
  const result = await execa(file!, args, { input: input ?? '', reject: false });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Runs a command and throws with its output if it fails. */
export async function mustRun(argv: readonly string[], input?: string): Promise<string> {
  const result = await run(argv, input);
  if (result.exitCode !== 0) throw new Error(`${argv.join(' ')} failed (${result.exitCode}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** One entry of `ip -json -details address show`, as far as tests read it. */
export interface IpLink {
  ifindex: number;
  ifname: string;
  ifalias?: string;
  group?: string;
  mtu: number;
  operstate: string;
  address?: string;
  flags?: string[];
  link_index?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** Lists `ip -json -details address show` of a named netns. */
export async function ipLinks(netns: string): Promise<IpLink[]> {
  return JSON.parse(await mustRun(['ip', '-n', netns, '-json', '-details', 'address', 'show'])) as IpLink[];
}

/** Lists the interface names of a named netns, sorted. */
export async function linkNames(netns: string): Promise<string[]> {
  return (await ipLinks(netns)).map((link) => link.ifname).sort();
}

/**
 * Network namespaces and containers made for one test file, all named with a unique prefix so tests
 * running side by side never touch each other's or the machine's resources. `cleanup` removes them.
 */
export class Lab {
  readonly prefix: string;
  readonly namespaces: string[] = [];
  readonly containers: string[] = [];
  private readonly processes: number[] = [];

  constructor(tag: string) {
    this.prefix = `${tag}${randomBytes(2).toString('hex')}`;
  }

  /** Creates a named network namespace `<prefix>-<name>` with lo up, and returns its name. */
  async netns(name: string): Promise<string> {
    const full = `${this.prefix}-${name}`;
    await mustRun(['ip', 'netns', 'add', full]);
    this.namespaces.push(full);
    await mustRun(['ip', '-n', full, 'link', 'set', 'lo', 'up']);
    return full;
  }

  /** Starts a container `<prefix>-<name>` with no network but what koko adds, and returns its name. */
  async container(name: string): Promise<string> {
    const full = `${this.prefix}-${name}`;
    this.containers.push(full);
    await mustRun(['docker', 'run', '-d', '--network', 'none', '--label', `koko.test=${this.prefix}`, '--name', full, TEST_IMAGE, 'sleep', '3600']);
    return full;
  }

  async stopContainer(name: string): Promise<void> {
    await mustRun(['docker', 'stop', '-t', '0', name]);
  }

  async containerPid(name: string): Promise<number> {
    return Number((await mustRun(['docker', 'inspect', '-f', '{{.State.Pid}}', name])).trim());
  }

  /** Starts a sleeping process inside netns `netns` and returns its PID; cleanup stops it. */
  async processIn(netns: string): Promise<number> {
    const child = execa('ip', ['netns', 'exec', netns, 'sleep', '3600'], { reject: false });
    const pid = child.pid!;
    this.processes.push(pid);
    // `ip netns exec` enters the namespace and then execs sleep; wait until the PID is inside.
    const target = statSync(`/run/netns/${netns}`).ino;
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        if (statSync(`/proc/${pid}/ns/net`).ino === target) return pid;
      } catch {
        // The process is still starting.
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`process ${pid} did not enter netns ${netns}`);
  }

  /** Lists `ip -json -details address show` of a netns. */
  links(netns: string): Promise<IpLink[]> {
    return ipLinks(netns);
  }

  async linksOfPid(pid: number): Promise<IpLink[]> {
    return JSON.parse(await mustRun(['nsenter', `--net=/proc/${pid}/ns/net`, 'ip', '-json', '-details', 'address', 'show'])) as IpLink[];
  }

  linkNames(netns: string): Promise<string[]> {
    return linkNames(netns);
  }

  /** Sends `count` pings from netns `netns` to `address`; resolves to true when one is answered. */
  async ping(netns: string, address: string, extra: string[] = []): Promise<boolean> {
    const result = await run(['ip', 'netns', 'exec', netns, 'ping', '-c', '2', '-i', '0.2', '-W', '2', ...extra, address]);
    return result.exitCode === 0;
  }

  /** Pings from inside a container with busybox ping. */
  async pingFromContainer(container: string, address: string): Promise<boolean> {
    const result = await run(['docker', 'exec', container, 'ping', '-c', '2', '-W', '2', address]);
    return result.exitCode === 0;
  }

  /** Removes everything this lab made, ignoring what is already gone. */
  async cleanup(): Promise<void> {
    for (const pid of this.processes) {
      try {
        process.kill(pid);
      } catch {
        // The process has already exited.
      }
    }
    if (this.containers.length) await run(['docker', 'rm', '-f', ...this.containers]);
    for (const netns of this.namespaces) await run(['ip', 'netns', 'del', netns]);
  }
}

/**
 * Captures up to `count` packets matching `filter` on `ifname` inside netns `netns` while `traffic`
 * runs, and returns tcpdump's one-line summaries.
 */
export async function capture(netns: string, ifname: string, filter: string, count: number, traffic: () => Promise<unknown>): Promise<string[]> {
  const tcpdump = execa('timeout', ['8', 'ip', 'netns', 'exec', netns, 'tcpdump', '-l', '-n', '-i', ifname, '-c', String(count), filter], {
    reject: false,
    all: true,
  });
  // tcpdump prints "listening on" to stderr once the capture is open; traffic before that is lost.
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve();
    };
    tcpdump.stderr?.on('data', onData);
    setTimeout(resolve, 3000);
  });
  await traffic();
  const result = await tcpdump;
  return String(result.stdout)
    .split('\n')
    .filter((line) => line.includes(' > '));
}
