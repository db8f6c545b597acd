'use client';

import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { HostGroupNode } from '@/client/graph';

/** The frame around one host's nodes, titled with the host name and its agent's status. */
function HostGroupView({ data }: NodeProps<HostGroupNode>) {
  return (
    <div className={`koko-host koko-host-${data.status}`} data-testid="host-group" data-host-name={data.name}>
      <div className="koko-host-title">
        <span className="koko-host-name">{data.name}</span>
        <span className={`koko-badge koko-host-status-${data.status}`}>{data.status}</span>
      </div>
      {data.nodeCount === 0 && <div className="koko-host-empty">No containers or named netns on this host yet.</div>}
    </div>
  );
}

export const HostGroup = memo(HostGroupView);
