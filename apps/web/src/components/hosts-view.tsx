'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '@/client/errors';
import { useTRPC } from '@/client/trpc';
import { useToasts } from './toasts';

interface HostRow {
  id: string;
  name: string;
  agentUrl: string;
  status: string;
  lastSeenAt: string | null;
  lastError: string | null;
  underlay?: string | null;
  hostname?: string | null;
  kernel?: string | null;
}

function formatTime(text: string | null): string {
  return text ? new Date(text).toLocaleString() : 'never';
}

/** The hosts page: every registered agent with its status, a form to add one, and removal. */
export function HostsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const remove = useMutation(trpc.hosts.remove.mutationOptions());
  const [confirming, setConfirming] = useState<string>();

  const removeHost = async (host: HostRow) => {
    try {
      await remove.mutateAsync({ id: host.id });
      toasts.show({ tone: 'success', title: `Host ${host.name} removed` });
    } catch (error) {
      toasts.show({ tone: 'error', title: `Host ${host.name} not removed`, message: errorMessage(error) });
    } finally {
      setConfirming(undefined);
      await queryClient.invalidateQueries();
    }
  };

  const rows = (hosts.data ?? []) as HostRow[];
  return (
    <main className="koko-page">
      <h1>Hosts</h1>
      <p className="koko-muted">Each host runs a koko agent. The dashboard reaches it at its address with its token and shows its containers and namespaces.</p>
      {hosts.isPending && <p data-testid="hosts-loading">Loading hosts…</p>}
      {hosts.isError && (
        <p className="koko-error">
          Could not load hosts: {errorMessage(hosts.error)}{' '}
          <button type="button" onClick={() => void hosts.refetch()}>
            Try again
          </button>
        </p>
      )}
      {hosts.isSuccess && rows.length === 0 && <p data-testid="hosts-empty">No hosts yet. Add the first one below.</p>}
      {rows.length > 0 && (
        <table className="koko-table" data-testid="hosts-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Agent</th>
              <th>Status</th>
              <th>Last seen</th>
              <th>Underlay</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((host) => (
              <tr key={host.id} data-host-name={host.name}>
                <td>
                  <strong>{host.name}</strong>
                  {host.kernel && <div className="koko-muted">{`${host.hostname ?? ''} · Linux ${host.kernel}`}</div>}
                </td>
                <td>
                  <code>{host.agentUrl}</code>
                </td>
                <td>
                  <span className={`koko-badge koko-host-status-${host.status}`} data-testid="host-status">
                    {host.status}
                  </span>
                  {host.lastError && <div className="koko-error">{host.lastError}</div>}
                </td>
                <td>{formatTime(host.lastSeenAt)}</td>
                <td>{host.underlay ? <code>{host.underlay}</code> : '–'}</td>
                <td>
                  {confirming === host.id ? (
                    <span className="koko-actions">
                      <span>Remove {host.name}? koko forgets the host; it refuses while koko links still use it.</span>
                      <button type="button" onClick={() => setConfirming(undefined)}>
                        Cancel
                      </button>
                      <button type="button" className="koko-danger" onClick={() => void removeHost(host)} disabled={remove.isPending}>
                        Remove
                      </button>
                    </span>
                  ) : (
                    <button type="button" onClick={() => setConfirming(host.id)}>
                      Remove…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AddHostForm />
    </main>
  );
}

/** Reads the address box: `unix:/path` or an absolute path names the agent's socket, anything else its URL. */
export function agentAddressOf(text: string): { url: string } | { socketPath: string } {
  const value = text.trim();
  if (value.startsWith('unix:')) return { socketPath: value.slice('unix:'.length) };
  if (value.startsWith('/')) return { socketPath: value };
  return { url: value };
}

function AddHostForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const add = useMutation(trpc.hosts.add.mutationOptions());
  const [name, setName] = useState('');
  const [agentUrl, setAgentUrl] = useState('http://');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const host = await add.mutateAsync({ name: name.trim(), agent: agentAddressOf(agentUrl), token: token.trim() });
      toasts.show({ tone: 'success', title: `Host ${host.name} added`, message: `status: ${host.status}` });
      setName('');
      setAgentUrl('http://');
      setToken('');
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      await queryClient.invalidateQueries();
    }
  };

  return (
    <form className="koko-panel koko-add-host" onSubmit={(event) => void submit(event)} aria-label="Add a host">
      <h2>Add a host</h2>
      <label className="koko-field">
        <span>Name</span>
        <input name="name" value={name} onChange={(event) => setName(event.target.value)} placeholder="lab-server-2" required />
      </label>
      <label className="koko-field">
        <span>Agent address</span>
        <input name="agentUrl" value={agentUrl} onChange={(event) => setAgentUrl(event.target.value)} placeholder="http://127.0.0.1:7420 or unix:/run/koko/agent.sock" required spellCheck={false} />
      </label>
      <label className="koko-field">
        <span>Token</span>
        <input name="token" type="password" value={token} onChange={(event) => setToken(event.target.value)} placeholder="contents of the agent's token file" required autoComplete="off" />
      </label>
      {error && (
        <p className="koko-error" data-testid="add-host-error">
          {error}
        </p>
      )}
      <div className="koko-actions">
        <button type="submit" className="koko-primary" disabled={add.isPending}>
          {add.isPending ? 'Checking the agent…' : 'Add host'}
        </button>
      </div>
    </form>
  );
}
