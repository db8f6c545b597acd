import type { CanvasNode } from './graph';

function sameNode(a: CanvasNode, b: CanvasNode): boolean {
  return (
    a.position.x === b.position.x &&
    a.position.y === b.position.y &&
    a.width === b.width &&
    a.height === b.height &&
    a.parentId === b.parentId &&
    JSON.stringify(a.data) === JSON.stringify(b.data)
  );
}

/**
 * Keeps what React Flow tracks itself (measured size, selection, a drag in progress) when new
 * data arrives. An unchanged node keeps its object, and a changed one keeps `measured`: React Flow
 * measures a node object without it again, and until then it draws none of the node's edges.
 */
export function mergeNodes(previous: CanvasNode[], next: CanvasNode[]): CanvasNode[] {
  const old = new Map(previous.map((node) => [node.id, node]));
  return next.map((node) => {
    const before = old.get(node.id);
    if (!before) return node;
    if (before.dragging) return { ...node, position: before.position, selected: before.selected, dragging: true, measured: before.measured } as CanvasNode;
    if (sameNode(before, node)) return before;
    return { ...node, selected: before.selected, measured: before.measured } as CanvasNode;
  });
}
