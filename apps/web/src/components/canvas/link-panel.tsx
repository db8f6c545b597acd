'use client';

import type { ReactNode } from 'react';
import type { EdgeEnd, LinkEdgeData } from '@/client/graph';
import { endKey, type EndCounters, type LinkDetails } from '@/client/link-details';

export interface LinkPanelProps {
  edge: LinkEdgeData;
  nodeName: (nodeId: string) => string;
  hostName: (hostId: string) => string;
  details?: LinkDetails;
  detailsError?: string;
  deleting: boolean;
  plan?: string;
  planError?: string;
  retrying: boolean;
  onDelete?: () => void;
  onShowPlan?: () => void;
  /** Creates a failed or drifted link again. */
  onRetry?: () => void;
  onClose: () => void;
}

function formatTime(text?: string | null): string {
  if (!text) return '–';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}

function formatCount(value?: number): string {
  return value === undefined ? '–' : value.toLocaleString();
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

function EndDetails({ end, title, counters, nodeName, hostName }: { end: EdgeEnd; title: string; counters?: EndCounters | null; nodeName: string; hostName: string }) {
  return (
    <section className="koko-end-details" aria-label={title}>
      <h3>
        {nodeName} <span className="koko-muted">on {hostName}</span>
      </h3>
      <dl>
        <Row label="Interface">
          <code>{end.ifname}</code>
        </Row>
        <Row label="Addresses">{end.addresses.length ? end.addresses.map((address) => <code key={address}>{address} </code>) : 'none'}</Row>
        {counters && (
          <>
            <Row label="State">{counters.state ?? '–'}</Row>
            <Row label="RX">
              {formatCount(counters.rxPackets)} packets, {formatCount(counters.rxBytes)} bytes
            </Row>
            <Row label="TX">
              {formatCount(counters.txPackets)} packets, {formatCount(counters.txBytes)} bytes
            </Row>
            <Row label="Dropped">
              {formatCount(counters.rxDropped)} in, {formatCount(counters.txDropped)} out
            </Row>
          </>
        )}
      </dl>
    </section>
  );
}

/** Details of the selected link: both ends, addresses, MTU, counters, who made it and when. */
export function LinkPanel(props: LinkPanelProps) {
  const { edge, details, detailsError, deleting, retrying, plan, planError, onDelete, onShowPlan, onRetry, onClose, nodeName, hostName } = props;
  const title = edge.foreign ? `Foreign ${edge.kind}` : edge.kind === 'vxlan' ? 'vxlan pair' : `${edge.kind} link`;
  const lastError = details?.lastError ?? edge.lastError;
  return (
    <aside className="koko-panel koko-link-panel" aria-label="Link details" data-testid="link-panel">
      <div className="koko-panel-title">
        <h2>{title}</h2>
        <button type="button" className="koko-icon-button" aria-label="Close details" onClick={onClose}>
          ×
        </button>
      </div>
      <p>
        <span className={`koko-badge koko-status-badge-${edge.status}`} data-testid="link-status">
          {deleting ? 'deleting' : edge.status}
        </span>
        {edge.vni !== undefined && <span className="koko-badge">VNI {edge.vni}</span>}
      </p>
      {edge.foreign && <p className="koko-muted">An agent reports this pair, but koko did not make it; koko shows it and never changes it.</p>}
      {lastError && (
        <p className="koko-error" data-testid="link-error">
          {lastError}
        </p>
      )}
      <EndDetails end={edge.source} title="First end" counters={details?.counters.get(endKey(edge.source.nodeId, edge.source.ifname))} nodeName={nodeName(edge.source.nodeId)} hostName={hostName(edge.source.hostId)} />
      <EndDetails end={edge.target} title="Second end" counters={details?.counters.get(endKey(edge.target.nodeId, edge.target.ifname))} nodeName={nodeName(edge.target.nodeId)} hostName={hostName(edge.target.hostId)} />
      {!edge.foreign && (
        <dl>
          <Row label="MTU">{details?.mtu ?? 'default'}</Row>
          <Row label="Created by">{details?.createdBy ?? '–'}</Row>
          <Row label="Created">{formatTime(details?.createdAt)}</Row>
          <Row label="Status since">{formatTime(details?.statusChangedAt)}</Row>
        </dl>
      )}
      {detailsError && <p className="koko-warning">Details unavailable: {detailsError}</p>}
      {details?.counterErrors.map((message) => (
        <p key={message} className="koko-warning">
          No counters for {message}
        </p>
      ))}
      {plan !== undefined && (
        <pre className="koko-commands" data-testid="plan">
          {plan}
        </pre>
      )}
      {planError && <p className="koko-error">{planError}</p>}
      {!edge.foreign && edge.linkId && (
        <div className="koko-actions">
          {onShowPlan && (
            <button type="button" onClick={onShowPlan} title="The commands the agents would run to delete this link; changes nothing">
              Show delete commands
            </button>
          )}
          {onRetry && (edge.status === 'failed' || edge.status === 'drifted') && (
            <button type="button" onClick={onRetry} disabled={retrying} title="Remove what is left of the link and create it again">
              {retrying ? 'Retrying…' : 'Retry'}
            </button>
          )}
          {onDelete && (
            <button type="button" className="koko-danger" onClick={onDelete} disabled={deleting} title="Delete this link (Delete key)">
              {deleting ? 'Deleting…' : 'Delete link'}
            </button>
          )}
        </div>
      )}
    </aside>
  );
}
