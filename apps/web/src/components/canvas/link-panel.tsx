'use client';

import type { ReactNode } from 'react';
import type { EdgeEnd, LinkEdgeData } from '@/client/graph';

/** Counters of one interface, as the agents' `stats` report them. */
export interface InterfaceCounters {
  rxBytes?: number;
  txBytes?: number;
  rxPackets?: number;
  txPackets?: number;
  rxErrors?: number;
  txErrors?: number;
  rxDropped?: number;
  txDropped?: number;
  state?: string;
}

export interface LinkDetails {
  mtu?: number | null;
  createdBy?: string | null;
  createdAt?: string | null;
  statusChangedAt?: string | null;
  lastError?: string | null;
  /** Counters per end, in endpoint order; undefined where the agent could not read them. */
  counters?: (InterfaceCounters | null | undefined)[];
}

export interface LinkPanelProps {
  edge: LinkEdgeData;
  nodeName: (nodeId: string) => string;
  hostName: (hostId: string) => string;
  details?: LinkDetails;
  detailsError?: string;
  deleting: boolean;
  plan?: string;
  planError?: string;
  onDelete?: () => void;
  onShowPlan?: () => void;
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

function EndDetails({ end, title, counters, nodeName, hostName }: { end: EdgeEnd; title: string; counters?: InterfaceCounters | null; nodeName: string; hostName: string }) {
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
            {(counters.rxErrors || counters.txErrors || counters.rxDropped || counters.txDropped) ? (
              <Row label="Errors / drops">
                {formatCount(counters.rxErrors)} / {formatCount(counters.rxDropped)} in, {formatCount(counters.txErrors)} / {formatCount(counters.txDropped)} out
              </Row>
            ) : null}
          </>
        )}
      </dl>
    </section>
  );
}

/** Details of the selected link: both ends, addresses, MTU, counters, who made it and when. */
export function LinkPanel(props: LinkPanelProps) {
  const { edge, details, detailsError, deleting, plan, planError, onDelete, onShowPlan, onClose, nodeName, hostName } = props;
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
      <EndDetails end={edge.source} title="First end" counters={details?.counters?.[0]} nodeName={nodeName(edge.source.nodeId)} hostName={hostName(edge.source.hostId)} />
      <EndDetails end={edge.target} title="Second end" counters={details?.counters?.[1]} nodeName={nodeName(edge.target.nodeId)} hostName={hostName(edge.target.hostId)} />
      {!edge.foreign && (
        <dl>
          <Row label="MTU">{details?.mtu ?? 'default'}</Row>
          <Row label="Created by">{details?.createdBy ?? '–'}</Row>
          <Row label="Created">{formatTime(details?.createdAt)}</Row>
          <Row label="Status since">{formatTime(details?.statusChangedAt)}</Row>
        </dl>
      )}
      {detailsError && <p className="koko-warning">Counters unavailable: {detailsError}</p>}
      {plan !== undefined && (
        <pre className="koko-commands" data-testid="plan">
          {plan}
        </pre>
      )}
      {planError && <p className="koko-error">{planError}</p>}
      {!edge.foreign && edge.linkId && (
        <div className="koko-actions">
          {onShowPlan && (
            <button type="button" onClick={onShowPlan}>
              Show commands
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
