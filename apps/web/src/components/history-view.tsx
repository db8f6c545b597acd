'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '@/client/errors';
import { useTRPC } from '@/client/trpc';
import { useToasts } from './toasts';

interface EntryRow {
  id: number;
  at: string;
  actor: { name: string };
  labId: string | null;
  labName: string | null;
  action: string;
  summary: string;
  outcome: string;
  error: string | null;
}

interface PreviewLink {
  id: string;
  kind: string;
  vni?: number | null;
  endpoints: { hostName?: string; nodeName?: string; node?: unknown; ifname: string; addresses: string[] }[];
}

interface Preview {
  labName: string;
  entryId: number;
  add: PreviewLink[];
  remove: PreviewLink[];
  keep: number;
}

/** Describes a link in one line for the restore confirmation: `veth r1:eth1 – r2:eth1`. */
export function describeLink(link: PreviewLink): string {
  const end = (endpoint: PreviewLink['endpoints'][number]) => {
    const node = endpoint.nodeName ?? nodeNameOf(endpoint.node) ?? '?';
    return `${endpoint.hostName ? `${endpoint.hostName}/` : ''}${node}:${endpoint.ifname}${endpoint.addresses.length ? ` (${endpoint.addresses.join(', ')})` : ''}`;
  };
  return `${link.kind}${link.vni ? ` VNI ${link.vni}` : ''} ${link.endpoints.map(end).join(' – ')}`;
}

function nodeNameOf(node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const ref = node as { kind?: string; container?: string; name?: string; pid?: number; path?: string };
  return ref.container ?? ref.name ?? (ref.pid !== undefined ? `pid ${ref.pid}` : ref.path) ?? ref.kind;
}

/** The history page: a timeline of changes, one change's details, and restore to that point. */
export function HistoryView() {
  const trpc = useTRPC();
  const [actor, setActor] = useState('');
  const [selected, setSelected] = useState<number>();
  const filter = actor.trim() ? { actor: actor.trim() } : {};
  const entries = useQuery(trpc.history.list.queryOptions(filter));
  const rows = (entries.data ?? []) as EntryRow[];

  return (
    <main className="koko-page koko-history">
      <h1>History</h1>
      <label className="koko-field koko-field-inline">
        <span>Who</span>
        <input value={actor} onChange={(event) => setActor(event.target.value)} placeholder="anyone" aria-label="Show only the changes of this display name" />
      </label>
      {entries.isPending && <p>Loading history…</p>}
      {entries.isError && <p className="koko-error">Could not load history: {errorMessage(entries.error)}</p>}
      {entries.isSuccess && rows.length === 0 && <p data-testid="history-empty">No changes recorded{actor.trim() ? ` by ${actor.trim()}` : ''} yet.</p>}
      <div className="koko-history-columns">
        {rows.length > 0 && (
          <ol className="koko-timeline" data-testid="history-list">
            {rows.map((entry) => (
              <li key={entry.id} className={selected === entry.id ? 'koko-timeline-selected' : undefined}>
                <button type="button" className="koko-timeline-entry" onClick={() => setSelected(entry.id)} data-testid="history-entry" data-action={entry.action}>
                  <span className={`koko-badge koko-outcome-${entry.outcome}`}>{entry.outcome}</span>
                  <span className="koko-timeline-summary">{entry.summary}</span>
                  <span className="koko-muted">
                    #{entry.id} · {entry.actor.name} · {new Date(entry.at).toLocaleString()}
                    {entry.labName ? ` · lab ${entry.labName}` : ''}
                  </span>
                  {entry.error && <span className="koko-error">{entry.error}</span>}
                </button>
              </li>
            ))}
          </ol>
        )}
        {selected !== undefined && <EntryDetails id={selected} onClose={() => setSelected(undefined)} />}
      </div>
    </main>
  );
}

function EntryDetails({ id, onClose }: { id: number; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const entry = useQuery(trpc.history.get.queryOptions({ id }));
  const [previewing, setPreviewing] = useState(false);
  const restore = useMutation(trpc.history.restore.mutationOptions());
  const [plan, setPlan] = useState<Preview>();
  const [error, setError] = useState<string>();

  const askRestore = async () => {
    setError(undefined);
    setPreviewing(true);
    try {
      setPlan((await queryClient.fetchQuery({ ...trpc.history.restorePreview.queryOptions({ id }), staleTime: 0 })) as Preview);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setPreviewing(false);
    }
  };

  const runRestore = async () => {
    try {
      const result = await restore.mutateAsync({ id });
      const failed = result.failed;
      if (failed.length > 0) {
        toasts.show({ tone: 'error', title: `Restore finished with ${failed.length} failures`, message: failed.map((item) => `${item.linkId}: ${item.error}`).join('\n') });
      } else {
        toasts.show({ tone: 'success', title: `Restored to change #${id}`, message: `${result.removed.length} removed, ${result.created.length} created` });
      }
      setPlan(undefined);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      await queryClient.invalidateQueries();
    }
  };

  const data = entry.data as (EntryRow & { before: unknown; after: unknown }) | undefined;
  return (
    <section className="koko-panel koko-history-details" aria-label={`Change ${id}`} data-testid="history-details">
      <div className="koko-panel-title">
        <h2>Change #{id}</h2>
        <button type="button" className="koko-icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {entry.isPending && <p>Loading…</p>}
      {entry.isError && <p className="koko-error">{errorMessage(entry.error)}</p>}
      {data && (
        <>
          <p>{data.summary}</p>
          <p className="koko-muted">
            {data.action} by {data.actor.name} at {new Date(data.at).toLocaleString()}, outcome {data.outcome}
          </p>
          {data.error && <p className="koko-error">{data.error}</p>}
          <div className="koko-before-after">
            <div>
              <h3>Before</h3>
              <pre className="koko-commands">{data.before === null ? 'nothing' : JSON.stringify(data.before, null, 2)}</pre>
            </div>
            <div>
              <h3>After</h3>
              <pre className="koko-commands">{data.after === null ? 'nothing' : JSON.stringify(data.after, null, 2)}</pre>
            </div>
          </div>
          {data.labId && !plan && (
            <div className="koko-actions">
              <button type="button" onClick={() => void askRestore()} disabled={previewing}>
                {previewing ? 'Comparing…' : 'Restore to this point…'}
              </button>
            </div>
          )}
        </>
      )}
      {error && (
        <p className="koko-error" data-testid="restore-error">
          {error}
        </p>
      )}
      {plan && (
        <div className="koko-confirm" role="alertdialog" aria-label="Confirm restore" data-testid="restore-confirm">
          <h3>
            Restore lab {plan.labName} to its state after change #{plan.entryId}?
          </h3>
          {plan.add.length === 0 && plan.remove.length === 0 ? (
            <p>The lab already matches that point; nothing would change.</p>
          ) : (
            <>
              <h4>Adds {plan.add.length}</h4>
              <ul data-testid="restore-add">
                {plan.add.map((link) => (
                  <li key={link.id}>{describeLink(link)}</li>
                ))}
              </ul>
              <h4>Removes {plan.remove.length}</h4>
              <ul data-testid="restore-remove">
                {plan.remove.map((link) => (
                  <li key={link.id}>{describeLink(link)}</li>
                ))}
              </ul>
            </>
          )}
          <p className="koko-muted">{plan.keep} links already match and stay.</p>
          <div className="koko-actions">
            <button type="button" onClick={() => setPlan(undefined)}>
              Cancel
            </button>
            <button type="button" className="koko-danger" onClick={() => void runRestore()} disabled={restore.isPending || (plan.add.length === 0 && plan.remove.length === 0)}>
              {restore.isPending ? 'Restoring…' : 'Restore'}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
