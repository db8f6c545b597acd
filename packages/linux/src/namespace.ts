import { stat } from 'node:fs/promises';
import { KokoError, type NodeRef, describeNode, quote } from '@koko/core';
import { inspectContainer } from './docker';

/** A network namespace koko can run commands in, found from a node reference. */
export interface Namespace {
  /** Identity of the namespace (device and inode of its nsfs file); equal keys mean the same namespace. */
  key: string;
  /** Its name in messages, such as `container "r1"` or `netns "lab"`. */
  label: string;
  /** The namespace file to enter, or undefined for the namespace koko runs in. */
  file: string | undefined;
  /** The node reference it was found from. */
  node: NodeRef;
}

const CURRENT_NAMESPACE_FILE = '/proc/self/ns/net';
/** The directory where `ip netns add` puts its namespace files. */
export const NETNS_RUN_DIR = '/run/netns';

async function namespaceKey(file: string): Promise<string> {
  const info = await stat(file);
  return `${info.dev}:${info.ino}`;
}

let currentKey: Promise<string> | undefined;

/** Returns the identity of the namespace this process runs in. */
export function currentNamespaceKey(): Promise<string> {
  currentKey ??= namespaceKey(CURRENT_NAMESPACE_FILE);
  return currentKey;
}

export async function currentNamespace(): Promise<Namespace> {
  return { key: await currentNamespaceKey(), label: 'the current namespace', file: undefined, node: { kind: 'current' } };
}

async function namespaceFileOf(node: NodeRef): Promise<string> {
  switch (node.kind) {
    case 'docker': {
      const container = await inspectContainer(node.container);
      if (!container.running || container.pid <= 0) {
        throw new KokoError(
          'not-found',
          `container ${quote(node.container)} is not running (state: ${container.status}); start it with: docker start ${node.container}`,
        );
      }
      return `/proc/${container.pid}/ns/net`;
    }
    case 'netns':
      return `${NETNS_RUN_DIR}/${node.name}`;
    case 'pid':
      return `/proc/${node.pid}/ns/net`;
    case 'path':
      return node.path;
    case 'current':
      return CURRENT_NAMESPACE_FILE;
  }
}

function missingHint(node: NodeRef): string {
  switch (node.kind) {
    case 'netns':
      return `; list namespaces with: ip netns list, or create it with: ip netns add ${node.name}`;
    case 'pid':
      return '; check that the process is still running';
    default:
      return '';
  }
}

/** Finds the network namespace of a node; throws a KokoError naming the node if it does not exist. */
export async function resolveNamespace(node: NodeRef): Promise<Namespace> {
  const file = await namespaceFileOf(node);
  let key: string;
  try {
    key = await namespaceKey(file);
  } catch {
    throw new KokoError('not-found', `${describeNode(node)} not found: ${file} does not exist${missingHint(node)}`);
  }
  const currentKeyValue = await currentNamespaceKey();
  if (key.split(':')[0] !== currentKeyValue.split(':')[0]) {
    // Every namespace file lives on the one nsfs device, so another device means a plain file.
    throw new KokoError('invalid', `${describeNode(node)} is not a network namespace file; give a path such as /run/netns/NAME or /proc/PID/ns/net`);
  }
  const current = key === currentKeyValue;
  return { key, label: describeNode(node), file: current ? undefined : file, node };
}

/** Prefixes `argv` so that it runs inside `namespace`. */
export function inNamespace(namespace: Namespace, argv: readonly string[]): string[] {
  return namespace.file ? ['nsenter', `--net=${namespace.file}`, ...argv] : [...argv];
}

/**
 * Prefixes `argv` so that the kernel sends it SIGTERM when the process that starts it dies
 * (`setpriv --pdeathsig`, kept across nsenter's exec). Long-running helpers inside a namespace
 * need it: if the agent is killed with SIGKILL, they would otherwise run on under init and keep
 * their namespace alive after its file is removed.
 */
export function endingWithParent(argv: readonly string[]): string[] {
  return ['setpriv', '--pdeathsig', 'TERM', '--', ...argv];
}
