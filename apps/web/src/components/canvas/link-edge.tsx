'use client';

import { Position, type EdgeProps } from '@xyflow/react';
import { memo, useState } from 'react';
import { edgeGeometry, type HandleSide } from '@/client/edge-geometry';
import type { LinkEdge } from '@/client/graph';

/** Width of the invisible stroke that catches clicks and hovers near a thin edge. */
const INTERACTION_WIDTH = 16;
/** Characters of a failed link's error shown on the edge; the tooltip and the details show all of it. */
const ERROR_LABEL_LENGTH = 48;

/** Both ends as `node/ifname`, sorted, so tests and tools can find an edge whichever way it is drawn. */
function endsKey(data: NonNullable<LinkEdge['data']>): string {
  return [`${data.source.nodeId}/${data.source.ifname}`, `${data.target.nodeId}/${data.target.ifname}`].sort().join(' ');
}

function statusText(data: NonNullable<LinkEdge['data']>): string | undefined {
  if (data.foreign) return 'foreign';
  if (data.status === 'up') return undefined;
  if (data.status === 'failed' && data.lastError) {
    const short = data.lastError.length > ERROR_LABEL_LENGTH ? `${data.lastError.slice(0, ERROR_LABEL_LENGTH - 1)}…` : data.lastError;
    return `failed: ${short}`;
  }
  return data.status;
}

/**
 * A link: the curve coloured by status (through the edge's CSS classes), the interface name at
 * each end, the VNI of a vxlan pair, and the addresses while the pointer is over it.
 */
function sideOf(position: Position): HandleSide {
  return position === Position.Left ? 'left' : 'right';
}

function LinkEdgeView({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected }: EdgeProps<LinkEdge>) {
  const [hovered, setHovered] = useState(false);
  if (!data) return null;

  const geometry = edgeGeometry(
    { x: sourceX, y: sourceY },
    { x: targetX, y: targetY },
    data.parallelIndex,
    data.parallelCount,
    sideOf(sourcePosition),
    sideOf(targetPosition),
  );
  const middleParts = [data.vni !== undefined ? `VNI ${data.vni}` : undefined, statusText(data)].filter(Boolean);
  const tooltip = [
    `${data.kind}${data.foreign ? ' (foreign: not made by koko)' : ''}, ${data.status}`,
    `${data.source.ifname}: ${data.source.addresses.join(', ') || 'no address'}`,
    `${data.target.ifname}: ${data.target.addresses.join(', ') || 'no address'}`,
    data.lastError ? `error: ${data.lastError}` : undefined,
  ]
    .filter(Boolean)
    .join('\n');

  return (
    <g
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
      data-testid="link-edge"
      data-status={data.status}
      data-link-id={data.linkId}
      data-ends={endsKey(data)}
    >
      <title>{tooltip}</title>
      <path className="koko-edge-path react-flow__edge-path" d={geometry.path} fill="none" />
      <path className="react-flow__edge-interaction" d={geometry.path} fill="none" strokeOpacity={0} strokeWidth={INTERACTION_WIDTH} />
      <text className="koko-edge-ifname" x={geometry.sourceLabel.x} y={geometry.sourceLabel.y - 6} textAnchor="middle">
        {data.source.ifname}
      </text>
      <text className="koko-edge-ifname" x={geometry.targetLabel.x} y={geometry.targetLabel.y - 6} textAnchor="middle">
        {data.target.ifname}
      </text>
      {middleParts.length > 0 && (
        <text className="koko-edge-middle" x={geometry.middle.x} y={geometry.middle.y - 6} textAnchor="middle">
          {middleParts.join(' · ')}
        </text>
      )}
      {(hovered || selected) && (
        <>
          <text className="koko-edge-address" x={geometry.sourceLabel.x} y={geometry.sourceLabel.y + 14} textAnchor="middle">
            {data.source.addresses.join(' ')}
          </text>
          <text className="koko-edge-address" x={geometry.targetLabel.x} y={geometry.targetLabel.y + 14} textAnchor="middle">
            {data.target.addresses.join(' ')}
          </text>
        </>
      )}
    </g>
  );
}

export const LinkEdgeComponent = memo(LinkEdgeView);
