import type { Position } from './topology';

/** Pixels between two parallel edges at their widest point. */
export const PARALLEL_SPACING = 28;
/** Position of the interface names along an edge, as a fraction of its length from each end. */
export const END_LABEL_AT = 0.16;

export interface EdgeGeometry {
  path: string;
  /** Anchor points of the source's and the target's interface names. */
  sourceLabel: Position;
  targetLabel: Position;
  /** Middle of the curve, for the VNI and the status text. */
  middle: Position;
}

function cubicPoint(p0: Position, p1: Position, p2: Position, p3: Position, t: number): Position {
  const u = 1 - t;
  return {
    x: u * u * u * p0.x + 3 * u * u * t * p1.x + 3 * u * t * t * p2.x + t * t * t * p3.x,
    y: u * u * u * p0.y + 3 * u * u * t * p1.y + 3 * u * t * t * p2.y + t * t * t * p3.y,
  };
}

/** Side of its card that a handle sits on; an edge leaves a right-hand handle to the right. */
export type HandleSide = 'left' | 'right';

function direction(side: HandleSide): number {
  return side === 'right' ? 1 : -1;
}

/**
 * Draws an edge as a cubic curve that leaves each handle away from its card, bent sideways by its
 * place among parallel edges so that several links between the same two nodes stay apart.
 * Returns the SVG path and the points for its labels.
 */
export function edgeGeometry(
  source: Position,
  target: Position,
  parallelIndex = 0,
  parallelCount = 1,
  sourceSide: HandleSide = 'right',
  targetSide: HandleSide = 'left',
): EdgeGeometry {
  const dx = target.x - source.x;
  const dy = target.y - source.y;
  // Handles on the same side (cards stacked above each other) need a loop wide enough to clear them.
  const reach = sourceSide === targetSide ? Math.max(64, Math.abs(dy) / 4) : Math.max(48, Math.abs(dx) / 2);
  const length = Math.hypot(dx, dy) || 1;
  // Unit normal of the straight line. Parallel edges spread out along it, centred on the line.
  const offset = (parallelIndex - (parallelCount - 1) / 2) * PARALLEL_SPACING * (4 / 3);
  const nx = (-dy / length) * offset;
  const ny = (dx / length) * offset;

  const c1 = { x: source.x + reach * direction(sourceSide) + nx, y: source.y + ny };
  const c2 = { x: target.x + reach * direction(targetSide) + nx, y: target.y + ny };
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    path: `M${round(source.x)},${round(source.y)} C${round(c1.x)},${round(c1.y)} ${round(c2.x)},${round(c2.y)} ${round(target.x)},${round(target.y)}`,
    sourceLabel: cubicPoint(source, c1, c2, target, END_LABEL_AT),
    targetLabel: cubicPoint(source, c1, c2, target, 1 - END_LABEL_AT),
    middle: cubicPoint(source, c1, c2, target, 0.5),
  };
}
