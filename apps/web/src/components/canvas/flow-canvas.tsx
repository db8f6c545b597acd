'use client';

import {
  Background,
  ConnectionMode,
  Controls,
  ReactFlow,
  applyNodeChanges,
  useReactFlow,
  useStore,
  type FinalConnectionState,
  type IsValidConnection,
  type EdgeChange,
  type NodeChange,
  type OnNodeDrag,
  type OnConnect,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { topologyToFlow, type CanvasNode, type LinkEdge, type NodeLayout } from '@/client/graph';
import { mergeNodes } from '@/client/merge-nodes';
import type { Position, Topology } from '@/client/topology';
import { HostGroup } from './host-group';
import { LinkEdgeComponent } from './link-edge';
import { NodeCard } from './node-card';

const NODE_TYPES = { host: HostGroup, lab: NodeCard };
const EDGE_TYPES = { link: LinkEdgeComponent };
/** Lets a whole 500-node lab fit on screen. */
const MIN_ZOOM = 0.05;
/** Below this zoom the canvas hides edge labels: the text is too small to read, and costly to repaint. */
const DETAIL_MIN_ZOOM = 0.45;
/**
 * Pending edges animate only in labs up to this many edges. An animated stroke repaints the layer
 * of every edge on every frame, which cost a 1000-edge lab most of its frame rate while panning.
 */
const MAX_ANIMATED_EDGES = 100;

export interface FlowCanvasProps {
  topology: Topology;
  layout?: NodeLayout;
  overrides?: NodeLayout;
  selectedEdgeId: string | null;
  onSelectEdge: (edgeId: string | null) => void;
  /** A user dragged from one node's handle to another node. */
  onConnectNodes?: (sourceNodeId: string, targetNodeId: string) => void;
  /** A user dropped a node at a new position inside its host group. */
  onNodeMoved?: (nodeId: string, position: Position) => void;
  /** Changing this value fits the view to the nodes again, for example after a new layout. */
  fitKey?: string | number;
  children?: ReactNode;
}

/** Finds the lab node under the pointer where a connection drag ended, if any. */
function nodeIdAtPointer(event: MouseEvent | TouchEvent): string | undefined {
  const point = 'changedTouches' in event ? event.changedTouches[0] : event;
  if (!point) return undefined;
  const element = document.elementFromPoint(point.clientX, point.clientY);
  const nodeElement = element?.closest<HTMLElement>('.react-flow__node-lab');
  return nodeElement?.dataset.id;
}

/**
 * The graph canvas: host groups, node cards and link edges from a topology. It owns only what
 * React Flow needs while the user interacts; the data and every change go through the props.
 */
export function FlowCanvas(props: FlowCanvasProps) {
  const { topology, layout, overrides, selectedEdgeId, onSelectEdge, onConnectNodes, onNodeMoved, fitKey, children } = props;
  const graph = useMemo(() => topologyToFlow(topology, { layout, overrides, selectedEdgeId }), [topology, layout, overrides, selectedEdgeId]);
  const [nodes, setNodes] = useState<CanvasNode[]>(graph.nodes);
  const [mergedFrom, setMergedFrom] = useState(graph.nodes);
  const connected = useRef(false);
  const flow = useReactFlow<CanvasNode, LinkEdge>();
  const zoomedOut = useStore((state) => state.transform[2] < DETAIL_MIN_ZOOM);
  const [moving, setMoving] = useState(false);
  const classes = [zoomedOut && 'koko-zoomed-out', moving && 'koko-moving', graph.edges.length <= MAX_ANIMATED_EDGES && 'koko-animate'].filter(Boolean).join(' ');

  // Merged during render, not in an effect, so that the commit that brings new data already has
  // the new positions, and a fit requested in that commit uses them.
  if (mergedFrom !== graph.nodes) {
    setMergedFrom(graph.nodes);
    setNodes((previous) => mergeNodes(previous, graph.nodes));
  }

  useEffect(() => {
    if (fitKey === undefined) return;
    const frame = requestAnimationFrame(() => void flow.fitView({ padding: 0.1 }));
    return () => cancelAnimationFrame(frame);
  }, [fitKey, flow]);

  const onNodesChange = useCallback((changes: NodeChange<CanvasNode>[]) => setNodes((current) => applyNodeChanges(changes, current)), []);

  // Keyboard selection (Tab to an edge, then Enter) arrives as a select change.
  const onEdgesChange = useCallback(
    (changes: EdgeChange<LinkEdge>[]) => {
      for (const change of changes) if (change.type === 'select' && change.selected) onSelectEdge(change.id);
    },
    [onSelectEdge],
  );

  const isValidConnection: IsValidConnection = useCallback((connection) => connection.source !== connection.target, []);

  const onConnect: OnConnect = useCallback(
    (connection) => {
      connected.current = true;
      onConnectNodes?.(connection.source, connection.target);
    },
    [onConnectNodes],
  );

  const onConnectStart = useCallback(() => {
    connected.current = false;
  }, []);

  // Dropping on a node's body instead of its handle also links the two nodes.
  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (connected.current || !state.fromNode) return;
      const target = nodeIdAtPointer(event);
      if (target && target !== state.fromNode.id) onConnectNodes?.(state.fromNode.id, target);
    },
    [onConnectNodes],
  );

  const onNodeDragStop: OnNodeDrag<CanvasNode> = useCallback(
    (_event, _node, moved) => {
      for (const node of moved) if (node.type === 'lab') onNodeMoved?.(node.id, { x: Math.round(node.position.x), y: Math.round(node.position.y) });
    },
    [onNodeMoved],
  );

  return (
    <ReactFlow<CanvasNode, LinkEdge>
      className={classes}
      onMoveStart={() => setMoving(true)}
      onMoveEnd={() => setMoving(false)}
      nodes={nodes}
      edges={graph.edges}
      nodeTypes={NODE_TYPES}
      edgeTypes={EDGE_TYPES}
      onNodesChange={onNodesChange}
      onNodeDragStop={onNodeDragStop}
      onEdgesChange={onEdgesChange}
      onConnect={onConnect}
      onConnectStart={onConnectStart}
      onConnectEnd={onConnectEnd}
      isValidConnection={isValidConnection}
      connectionMode={ConnectionMode.Loose}
      onEdgeClick={(_event, edge) => onSelectEdge(edge.id)}
      onPaneClick={() => onSelectEdge(null)}
      deleteKeyCode={null}
      nodesConnectable={Boolean(onConnectNodes)}
      edgesFocusable
      fitView
      fitViewOptions={{ padding: 0.1 }}
      minZoom={MIN_ZOOM}
      onlyRenderVisibleElements
    >
      {/* Zoomed out, the dot grid would be a dense pattern redrawn on every frame of a pan. */}
      {!zoomedOut && <Background gap={24} size={1} />}
      <Controls showInteractive={false} />
      {children}
    </ReactFlow>
  );
}
