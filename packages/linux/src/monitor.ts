import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { InterfaceInfo } from './interfaces';
import { type Namespace, endingWithParent, inNamespace } from './namespace';

/** A running `ip monitor` process; `stop` ends it. */
export interface LinkMonitor {
  stop(): void;
}

/**
 * Starts `ip -o monitor link address` in `namespace` and calls `onLine` for every event it prints, one line
 * each. `ip -json monitor` prints plain text in iproute2 6.1, so callers re-read the namespace
 * instead of parsing the line. `onExit` runs once when the process ends by itself.
 *
 * The monitor process lives in the namespace and so keeps it alive: stop it as soon as the
 * namespace's file is removed or its container stops, or the namespace outlives its owner.
 */
export function monitorLinks(namespace: Namespace, onLine: (line: string) => void, onExit: (reason: string) => void): LinkMonitor {
  const [file, ...args] = endingWithParent(inNamespace(namespace, ['ip', '-o', 'monitor', 'link', 'address']));
  const child: ChildProcess = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let stopped = false;
  let stderr = '';

  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!stopped) onLine(line);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-500);
  });
  child.on('error', (error) => {
    if (!stopped) onExit(`cannot start ip monitor in ${namespace.label}: ${error.message}`);
    stopped = true;
  });
  child.on('exit', (code, signal) => {
    if (!stopped) onExit(`ip monitor in ${namespace.label} ended (${signal ?? `exit code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`);
    stopped = true;
  });

  return {
    stop() {
      if (stopped) return;
      stopped = true;
      child.kill('SIGTERM');
    },
  };
}

export type InterfaceChangeAction = 'added' | 'removed' | 'up' | 'down' | 'changed';

/** One difference between two reads of a namespace. */
export interface InterfaceChange {
  action: InterfaceChangeAction;
  ifname: string;
  ifindex: number;
  kind: string | undefined;
  linkId: string | undefined;
}

function changeOf(action: InterfaceChangeAction, info: InterfaceInfo): InterfaceChange {
  return { action, ifname: info.name, ifindex: info.ifindex, kind: info.kind, linkId: info.linkId };
}

/** Returns the settings of an interface whose change is reported as `changed`: addresses, MTU and alias. */
function settingsOf(info: InterfaceInfo): string {
  const addresses = info.addresses.map((entry) => `${entry.address}/${entry.prefix}`).sort();
  return JSON.stringify([addresses, info.mtu, info.alias ?? null]);
}

/**
 * Lists what changed between two reads of one namespace: interfaces added and removed (matched by
 * ifindex, so a rename reads as a removal and an addition), interfaces switched up or down, and
 * interfaces whose addresses, MTU or alias changed.
 */
export function diffInterfaces(before: readonly InterfaceInfo[], after: readonly InterfaceInfo[]): InterfaceChange[] {
  const previous = new Map(before.map((info) => [info.ifindex, info]));
  const next = new Map(after.map((info) => [info.ifindex, info]));
  const changes: InterfaceChange[] = [];

  for (const info of before) {
    const now = next.get(info.ifindex);
    if (!now || now.name !== info.name) changes.push(changeOf('removed', info));
  }
  for (const info of after) {
    const then = previous.get(info.ifindex);
    if (!then || then.name !== info.name) {
      changes.push(changeOf('added', info));
      if (info.up) changes.push(changeOf('up', info));
    } else {
      if (then.up !== info.up) changes.push(changeOf(info.up ? 'up' : 'down', info));
      if (settingsOf(then) !== settingsOf(info)) changes.push(changeOf('changed', info));
    }
  }
  return changes;
}
