import { describe, expect, it } from 'vitest';
import { edgeGeometry } from '../../src/client/edge-geometry';

describe('edgeGeometry', () => {
  it('starts at the source and ends at the target', () => {
    const { path } = edgeGeometry({ x: 0, y: 0 }, { x: 400, y: 100 });

    expect(path.startsWith('M0,0 C')).toBe(true);
    expect(path.endsWith(' 400,100')).toBe(true);
  });

  it('puts the end labels near their ends and the middle between them', () => {
    const geometry = edgeGeometry({ x: 0, y: 0 }, { x: 400, y: 0 });

    expect(geometry.sourceLabel.x).toBeGreaterThan(0);
    expect(geometry.sourceLabel.x).toBeLessThan(200);
    expect(geometry.targetLabel.x).toBeGreaterThan(200);
    expect(geometry.targetLabel.x).toBeLessThan(400);
    expect(geometry.middle).toEqual({ x: 200, y: 0 });
  });

  it('bends parallel edges to opposite sides of a single one', () => {
    const single = edgeGeometry({ x: 0, y: 0 }, { x: 400, y: 0 }, 0, 1);
    const first = edgeGeometry({ x: 0, y: 0 }, { x: 400, y: 0 }, 0, 2);
    const second = edgeGeometry({ x: 0, y: 0 }, { x: 400, y: 0 }, 1, 2);

    expect(single.middle.y).toBe(0);
    expect(first.middle.y).toBeLessThan(-10);
    expect(second.middle.y).toBeGreaterThan(10);
    expect(first.middle.y).toBeCloseTo(-second.middle.y, 5);
  });

  it('loops to the right when both handles are on the right', () => {
    const geometry = edgeGeometry({ x: 100, y: 0 }, { x: 100, y: 300 }, 0, 1, 'right', 'right');

    expect(geometry.middle.x).toBeGreaterThan(100 + 40);
    expect(geometry.path.endsWith(' 100,300')).toBe(true);
  });

  it('handles an edge whose ends coincide', () => {
    const geometry = edgeGeometry({ x: 10, y: 10 }, { x: 10, y: 10 }, 1, 3);

    expect(geometry.path).not.toContain('NaN');
  });
});
