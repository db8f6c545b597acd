'use client';

import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { LabNode } from '@/client/graph';

/** A container or netns: its name, image or kind, and state; drag from its right handle to link it. */
function NodeCardView({ data, selected }: NodeProps<LabNode>) {
  const classes = ['koko-node', `koko-node-${data.kind}`];
  if (!data.present) classes.push('koko-node-absent');
  if (selected) classes.push('koko-node-selected');
  return (
    <div className={classes.join(' ')} data-testid="node-card" data-node-name={data.name} title={`${data.name} on ${data.hostName}\ninterfaces: ${data.interfaces.join(', ') || 'none'}`}>
      <Handle type="target" id="in" position={Position.Left} aria-label={`link to ${data.name}`} />
      <div className="koko-node-name">{data.name}</div>
      <div className="koko-node-detail">
        <span className="koko-node-image">{data.detail}</span>
        <span className={`koko-node-state koko-node-state-${data.present ? data.state : 'missing'}`}>{data.present ? data.state : 'missing'}</span>
      </div>
      <Handle type="source" id="out" position={Position.Right} aria-label={`link from ${data.name}`} />
    </div>
  );
}

export const NodeCard = memo(NodeCardView);
