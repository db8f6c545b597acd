import type { Position } from './topology';

/** Pixels between two parallel edges at their widest point. */
export const PARALLEL_SPACING = 28;
/** Where along an edge the interface names sit, as a fraction of its length from each end. */
export const END_LABEL_AT = 0.16;

export interface EdgeGeometry {
  path: string;
  /** Where the source's and the target's interface names go. */
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

/**
 * Draws an edge from a right-hand source handle to a left-hand target handle as a cubic curve,
 * bent sideways by its place among parallel edges so that several links between the same two
 * nodes stay apart. Returns the SVG path and where its labels go.
 */
export function edgeGeometry(source: Position, target: Position, parallelIndex = 0, parallelCount = 1): EdgeGeometry {
  const reach = Math.max(48, Math.abs(target.x - source.x) / 2);
  const dx = target.x - source.x;
  const dy = target.y - source.y;
  const length = Math.hypot(dx, dy) || 1;
  // Unit normal of the straight line; parallel edges spread out along it, centred on the line.
  const offset = (parallelIndex - (parallelCount - 1) / 2) * PARALLEL_SPACING * (4 / 3);
  const nx = (-dy / length) * offset;
  const ny = (dx / length) * offset;

  const c1 = { x: source.x + reach + nx, y: source.y + ny };
  const c2 = { x: target.x - reach + nx, y: target.y + ny };
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    path: `M${round(source.x)},${round(source.y)} C${round(c1.x)},${round(c1.y)} ${round(c2.x)},${round(c2.y)} ${round(target.x)},${round(target.y)}`,
    sourceLabel: cubicPoint(source, c1, c2, target, END_LABEL_AT),
    targetLabel: cubicPoint(source, c1, c2, target, 1 - END_LABEL_AT),
    middle: cubicPoint(source, c1, c2, target, 0.5),
  };
}
