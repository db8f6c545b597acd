'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { browserElk } from './elk';
import { layoutTopology, placeNewNodes } from './layout';
import type { Position, Topology } from './topology';

/**
 * How long the first view of a small lab waits for the layout before drawing nodes on a grid:
 * small labs lay out well within it, so they appear once, in place.
 */
const FIRST_LAYOUT_WAIT_MS = 400;
/**
 * Above this many nodes the canvas draws the grid at once and moves the nodes into their layout
 * when the worker finishes, because elk needs a second or more for a lab that size.
 */
const NO_WAIT_NODES = 150;

export interface CanvasLayout {
  /** Node positions from the last layout, plus grid places for nodes that appeared after it. */
  layout: Map<string, Position> | undefined;
  /** True once the canvas may draw: the layout is done, or the wait for it is over. */
  ready: boolean;
  /** True once the layout for the current key is done. */
  done: boolean;
  /** Grows with each finished layout, so the canvas can fit the view to it. */
  version: number;
  error: string | undefined;
  /** Lays every node out again, ignoring saved positions, and returns the new positions. */
  relayout: (topology: Topology) => Promise<Map<string, Position>>;
}

/**
 * Runs the elk layout on the first topology that arrives, again whenever `key` changes (a new
 * filter shows other nodes), and on request.
 */
export function useCanvasLayout(topology: Topology | undefined, key = ''): CanvasLayout {
  const [layout, setLayout] = useState<Map<string, Position>>();
  const [layoutKey, setLayoutKey] = useState<string>();
  const [waited, setWaited] = useState(false);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string>();
  const laidOutKey = useRef<string>(undefined);
  const latestKey = useRef(key);
  latestKey.current = key;

  useEffect(() => {
    if (!topology || laidOutKey.current === key) return;
    const first = laidOutKey.current === undefined;
    laidOutKey.current = key;
    if (first) {
      const nodeCount = topology.hosts.reduce((sum, host) => sum + host.nodes.length, 0);
      if (nodeCount > NO_WAIT_NODES) setWaited(true);
      else setTimeout(() => setWaited(true), FIRST_LAYOUT_WAIT_MS);
    }
    layoutTopology(browserElk(), topology).then(
      (positions) => {
        // A layout for a filter the user has already changed again is stale.
        if (latestKey.current !== key) return;
        setLayout(positions);
        setLayoutKey(key);
        setVersion((current) => current + 1);
      },
      (failure: unknown) => {
        setError(`automatic layout failed: ${(failure as Error).message}; nodes stay on a grid`);
        setWaited(true);
      },
    );
  }, [topology, key]);

  const relayout = useCallback(async (current: Topology) => {
    const positions = await layoutTopology(browserElk(), current);
    setLayout(positions);
    setLayoutKey(latestKey.current);
    setVersion((value) => value + 1);
    return positions;
  }, []);

  const placed = useMemo(() => (topology && layout ? placeNewNodes(topology, layout) : layout), [topology, layout]);
  return { layout: placed, ready: Boolean(layout) || waited, done: layoutKey === key, version, error, relayout };
}
