'use client';

import { ReactFlowProvider, useNodesInitialized } from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';
import { syntheticTopology, type SyntheticSize } from '@/client/synthetic';
import { useCanvasLayout } from '@/client/use-layout';
import { FlowCanvas } from '../canvas/flow-canvas';

/** Timings the benchmark reads from the page, in milliseconds since navigation start. */
export interface BenchTimings {
  /** All node cards are in the DOM with their sizes measured, and a frame has been painted. */
  firstRenderMs?: number;
  /** The elk layout has finished and the nodes have moved into it. */
  layoutDoneMs?: number;
}

declare global {
  interface Window {
    kokoBench?: BenchTimings;
  }
}

function afterPaint(record: () => void): void {
  // The second frame callback runs after the first frame with the new DOM has been painted.
  requestAnimationFrame(() => requestAnimationFrame(record));
}

function ReadySignal({ layoutDone }: { layoutDone: boolean }) {
  const initialized = useNodesInitialized();
  useEffect(() => {
    if (!initialized) return;
    window.kokoBench ??= {};
    afterPaint(() => {
      window.kokoBench!.firstRenderMs ??= performance.now();
    });
  }, [initialized]);
  useEffect(() => {
    if (!layoutDone) return;
    afterPaint(() => {
      window.kokoBench = { ...window.kokoBench, layoutDoneMs: performance.now() };
    });
  }, [layoutDone]);
  return null;
}

/** The real canvas fed with a synthetic topology, for the dashboard benchmark. */
export function BenchCanvas({ hosts, nodes, links }: SyntheticSize) {
  const topology = useMemo(() => syntheticTopology({ hosts, nodes, links }), [hosts, nodes, links]);
  const canvasLayout = useCanvasLayout(topology);
  const [selectedEdgeId, setSelectedEdgeId] = useState<string | null>(null);
  if (!canvasLayout.ready) return null;
  return (
    <ReactFlowProvider>
      <div className="koko-canvas koko-canvas-bench" data-testid="canvas" data-layout={canvasLayout.done ? 'done' : 'pending'}>
        <FlowCanvas topology={topology} layout={canvasLayout.layout} selectedEdgeId={selectedEdgeId} onSelectEdge={setSelectedEdgeId} fitKey={canvasLayout.version}>
          <ReadySignal layoutDone={canvasLayout.done} />
        </FlowCanvas>
      </div>
    </ReactFlowProvider>
  );
}
