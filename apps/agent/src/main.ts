import { readFileSync } from 'node:fs';
import type { AgentHandlers } from '@koko/agent-api';
import { readInventory } from '@koko/linux';
import { type Logger, pino } from 'pino';
import { ChangeFeed } from './changes';
import { type AgentConfig, ConfigError, HELP, describeListen, parseAgentArgs } from './config';
import { loadOrCreateHostId, readHostInfo } from './host';
import { Operations } from './operations';
import { listen } from './listen';
import { createAgentServer } from './server';
import { createTokenCheck, loadOrCreateToken } from './token';

function agentVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseAgentArgs(args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`koko-agent: ${error.message}\n`);
    return 2;
  }
  if (parsed.action === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const version = agentVersion();
  if (parsed.action === 'version') {
    process.stdout.write(`koko-agent ${version}\n`);
    return 0;
  }

  const { config } = parsed;
  // Synchronous writes: nothing is buffered at exit, so a log reader that went away (a closed
  // pipe) cannot stall the exit, and every line before the exit is written.
  const log = pino({ name: 'koko-agent', level: config.logLevel }, pino.destination({ dest: 1, sync: true }));
  log.info({ version, listen: describeListen(config.listen), node: process.version }, 'starting');
  try {
    await serve(config, version, log);
    return 0;
  } catch (error) {
    log.fatal({ error: error instanceof Error ? error.message : String(error) }, 'cannot start');
    throw error;
  }
}

/** Serves requests until SIGTERM or SIGINT, then stops cleanly. */
async function serve(config: AgentConfig, version: string, log: Logger): Promise<void> {
  const { token, created } = await loadOrCreateToken(config.tokenFile);
  if (created) log.info({ tokenFile: config.tokenFile }, 'generated a new bearer token (mode 0600)');
  else log.info({ tokenFile: config.tokenFile }, 'using the bearer token from the token file');
  const hostId = await loadOrCreateHostId(config.stateDir);

  const changes = new ChangeFeed(log);
  const operations = new Operations(log, (key) => changes.readerFor(key));
  const handlers: AgentHandlers = {
    hostInfo: () => readHostInfo(hostId, version),
    inventory: async () => ({ hostId, readAt: Date.now(), ...(await readInventory({ readerFor: (key) => changes.readerFor(key) })) }),
    plan: (input) => operations.plan(input),
    create: (input) => operations.create(input.link, input.options),
    delete: (input) => operations.delete(input.interfaces),
    applyBatch: (input) => operations.apply('applyBatch', input),
    stats: (input) => operations.stats(input.interfaces),
    changes: (signal) => changes.subscribe(signal),
  };

  const server = createAgentServer(handlers, createTokenCheck(token), log);
  const listener = await listen(server, config.listen);
  const address = listener.address;
  log.info({ address, hostId, version }, 'listening');

  await new Promise<void>((resolve) => {
    let stopping = false;
    // A repeated signal must not kill the agent halfway through a plan; SIGKILL still does.
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.info({ signal, runningChanges: operations.runningChanges }, 'already stopping; waiting for running changes');
        return;
      }
      stopping = true;
      log.info({ signal, runningChanges: operations.runningChanges }, 'stopping: finishing running changes, rejecting new ones');
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

  const stopStarted = performance.now();
  await operations.stop();
  changes.close();
  await listener.close();
  log.info({ address, stopMs: Math.round(performance.now() - stopStarted) }, 'stopped');
}

run(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`koko-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
