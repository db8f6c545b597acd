'use client';

import ELK from 'elkjs/lib/elk-api.js';
import type { ElkEngine } from './layout';

let engine: ElkEngine | undefined;

/**
 * Returns the browser's elk engine. It runs in a Web Worker, so a layout of hundreds of nodes
 * does not block panning or clicks. One worker serves every layout of the page.
 */
export function browserElk(): ElkEngine {
  engine ??= new ELK({ workerFactory: () => new Worker(new URL('elkjs/lib/elk-worker.min.js', import.meta.url)) });
  return engine;
}
