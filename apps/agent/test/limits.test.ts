import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { MAX_BATCH_ITEMS, MAX_BODY_BYTES } from '@koko/agent-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningAgent, rawRequest, startAgent, waitFor } from './helpers';

let agent: RunningAgent;

/** Resident memory of a process, in bytes. */
function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

interface UploadResult {
  status: number;
  body: string;
  /** Bytes of the body the client got to write before the agent answered or closed the connection. */
  sentBytes: number;
}

/**
 * Streams a body of `totalBytes` to `path` in 1 MiB chunks, with a Content-Length header unless
 * `chunked`, and stops writing as soon as the response arrives or the connection fails.
 */
function upload(path: string, totalBytes: number, chunked: boolean): Promise<UploadResult> {
  const url = new URL(agent.address);
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    let done = false;
    const headers: Record<string, string | number> = { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' };
    if (!chunked) headers['content-length'] = totalBytes;
    const req = request({ host: url.hostname, port: Number(url.port), method: 'POST', path, headers }, (res) => {
      done = true;
      let body = '';
      res.on('data', (data: Buffer) => (body += data.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sentBytes }));
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!done) reject(new Error(`${error.message} after ${sentBytes} bytes were written`));
    });
    const writeMore = () => {
      while (!done && sentBytes < totalBytes) {
        sentBytes += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (!done) req.end();
    };
    writeMore();
  });
}

beforeAll(async () => {
  agent = await startAgent();
});

afterAll(async () => {
  await agent?.stop();
});

it('rejects a 600 MB body before reading it', async () => {
  const rssBefore = rssOf(agent.child.pid!);

  const result = await upload('/applyBatch', 600_000_000, false);

  expect(result.status).toBe(413);
  const error = JSON.parse(result.body) as { error: { message: string; data: { code: string } } };
  expect(error.error.data.code).toBe('PAYLOAD_TOO_LARGE');
  expect(error.error.message).toContain('600000000 bytes');
  expect(error.error.message).toContain(`limit of ${MAX_BODY_BYTES} bytes`);
  expect(result.sentBytes).toBeLessThan(100_000_000);
  expect(rssOf(agent.child.pid!) - rssBefore).toBeLessThan(64 * 1024 * 1024);
  await waitFor('the rejection log line', () => agent.logs.find((entry) => entry.msg === 'rejected a request: body larger than the limit'));
});

it('cuts off a chunked body at the limit', async () => {
  const rssBefore = rssOf(agent.child.pid!);

  const result = await upload('/applyBatch', 600_000_000, true);

  expect(result.status).toBe(413);
  expect(result.body).toContain(`limit of ${MAX_BODY_BYTES} bytes`);
  expect(result.sentBytes).toBeLessThan(200_000_000);
  expect(rssOf(agent.child.pid!) - rssBefore).toBeLessThan(128 * 1024 * 1024);
});

it('accepts the body of a full batch of the largest links', async () => {
  const v6 = (host: number) => `fd00:ffff:ffff:ffff:ffff:ffff:ffff:${host.toString(16).padStart(4, '0')}/128`;
  const end = (index: number, side: string) => ({
    // One container per side: a name per link would make the agent look up 10 000 containers.
    node: { kind: 'docker', container: `kaf${'x'.repeat(60)}${side}` },
    ifname: `k${side}${String(index).padStart(13, '0')}`,
    addresses: [v6(1), v6(2), v6(3), v6(4)],
    mirror: { direction: 'both', source: 'kafmirrorsrc012' },
  });
  const links = Array.from({ length: MAX_BATCH_ITEMS }, (_, index) => ({
    kind: 'veth',
    id: `kaf-${String(index).padStart(28, '0')}`,
    mtu: 65_535,
    a: end(index, 'a'),
    b: end(index, 'b'),
  }));
  const body = JSON.stringify({ create: links, options: { group: 4_294_967_295 } });

  const response = await rawRequest(agent.address, 'POST', '/plan', { authorization: `Bearer ${agent.token}` }, body);

  // The limit documents room for more than three such batches.
  expect(body.length * 3).toBeLessThan(MAX_BODY_BYTES);
  // Read and validated: it fails only because the containers do not exist.
  expect(response.status).toBe(404);
});
