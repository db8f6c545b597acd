import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type InterfaceInfo, type IpJsonLink, toInterfaceInfo } from './interfaces';
import { type Namespace, endingWithParent, inNamespace } from './namespace';

/** The commands a reader runs: each prints exactly one JSON line under `ip -json`. */
export type ReaderCommand = 'address show' | 'netns list-id';

/** How long one read through a reader may take before the reader is stopped, in milliseconds. */
const READ_TIMEOUT_MS = 5000;

/**
 * A long-running `ip -json -details -stats -batch -` inside one namespace. Each read writes
 * `address show` to its input and takes the JSON line it prints, so a read costs no process start.
 * The output is read at the time of the request, counters included: nothing is cached.
 *
 * The process lives in the namespace and so keeps it alive, like an `ip monitor`: stop the reader
 * as soon as the namespace's file is removed or its container stops.
 */
export class NamespaceReader {
  readonly #child: ChildProcess;
  readonly #waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  #stopped = false;
  #stderr = '';

  constructor(readonly namespace: Namespace) {
    const [file, ...args] = endingWithParent(inNamespace(namespace, ['ip', '-json', '-details', '-stats', '-batch', '-']));
    this.#child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => this.#waiting.shift()?.resolve(line));
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-500);
    });
    this.#child.stdin!.on('error', () => undefined); // a write after the process ended; the exit handler reports it
    this.#child.on('error', (error) => this.#fail(`cannot start ip in ${namespace.label}: ${error.message}`));
    this.#child.on('exit', (code, signal) => this.#fail(`ip reader in ${namespace.label} ended (${signal ?? `exit code ${code}`})${this.#stderr ? `: ${this.#stderr.trim()}` : ''}`));
  }

  /** Whether the process still runs and takes reads. */
  get alive(): boolean {
    return !this.#stopped;
  }

  /** Reads every interface of the namespace, with addresses, driver details and counters. */
  async read(): Promise<InterfaceInfo[]> {
    return (JSON.parse(await this.request('address show')) as IpJsonLink[]).map(toInterfaceInfo);
  }

  /** Runs one `ip` command in the namespace and returns the JSON line it prints. */
  request(command: ReaderCommand): Promise<string> {
    if (this.#stopped) return Promise.reject(new Error(`the ip reader in ${this.namespace.label} has stopped`));
    const line = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stop();
        reject(new Error(`reading ${this.namespace.label} timed out after ${READ_TIMEOUT_MS} ms`));
      }, READ_TIMEOUT_MS);
      this.#waiting.push({
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    this.#child.stdin!.write(`${command}\n`);
    return line;
  }

  /** Ends the process, which releases the namespace; reads still waiting fail. */
  stop(): void {
    if (this.#stopped) return;
    this.#fail(`the ip reader in ${this.namespace.label} was stopped`);
    this.#child.kill('SIGTERM');
  }

  #fail(reason: string): void {
    this.#stopped = true;
    for (const waiting of this.#waiting.splice(0)) waiting.reject(new Error(reason));
  }
}
