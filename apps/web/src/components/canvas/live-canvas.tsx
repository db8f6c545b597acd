'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Panel, ReactFlowProvider } from '@xyflow/react';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '@/client/errors';
import { filterTopology } from '@/client/filter';
import type { LabNodeData, LinkEdgeData } from '@/client/graph';
import { topologyToFlow } from '@/client/graph';
import { linkDetailsOf } from '@/client/link-details';
import type { ConnectInput } from '@/client/link-form';
import { formatPlan } from '@/client/plan-text';
import type { Position, Topology, TopologyLink } from '@/client/topology';
import { useTRPC } from '@/client/trpc';
import { useCanvasLayout } from '@/client/use-layout';
import { useToasts } from '../toasts';
import { FlowCanvas } from './flow-canvas';
import { LinkForm } from './link-form';
import { LinkPanel } from './link-panel';

interface Draft {
  source: LabNodeData;
  target: LabNodeData;
}

/** A position counts as confirmed once the controller's copy is within this many pixels. */
const POSITION_TOLERANCE = 0.5;

/** Both ends of a link as `node/ifname`, sorted, to match a local stand-in with the stored link. */
function endsKeyOf(link: TopologyLink): string {
  return link.endpoints
    .map((end) => `${end.nodeId}/${end.ifname}`)
    .sort()
    .join(' ');
}

function isEditable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

function nodeData(topology: Topology, nodeId: string): LabNodeData | undefined {
  for (const host of topology.hosts) {
    const node = host.nodes.find((entry) => entry.id === nodeId);
    if (!node) continue;
    const mapped = topologyToFlow({ hosts: [{ ...host, nodes: [node] }], links: [], foreignLinks: [] }).nodes.find((entry) => entry.id === nodeId);
    return mapped?.data as LabNodeData | undefined;
  }
  return undefined;
}

/** Shows the controller's topology, kept current by the `changes` stream, and edits its links. */

/** Returns the canvas's counts line: nodes shown, koko links, links koko did not make, and links with a missing end. */
function countsText(visibleNodes: number, total: number, topology: Pick<Topology, 'links' | 'foreignLinks'>, undrawn: number): string {
  const parts = [`${visibleNodes === total ? total : `${visibleNodes} of ${total}`} nodes`, `${topology.links.length} links`];
  if (topology.foreignLinks.length > 0) parts.push(`${topology.foreignLinks.length} not made by koko`);
  if (undrawn > 0) parts.push(`${undrawn} not drawn (an end is missing)`);
  return parts.join(' · ');
}

export function LiveCanvas() {
  return (
    <ReactFlowProvider>
      <LiveCanvasInner />
    </ReactFlowProvider>
  );
}

function LiveCanvasInner() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const topologyQuery = useQuery(trpc.topology.get.queryOptions({}));
  const served: Topology | undefined = topologyQuery.data;

  const [optimistic, setOptimistic] = useState<TopologyLink[]>([]);
  const [deleting, setDeleting] = useState<Set<string>>(new Set());
  const [overrides, setOverrides] = useState<Map<string, Position>>(new Map());
  const [selectedEdgeId, setSelectedEdgeId] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [plan, setPlan] = useState<{ linkId: string; text?: string; error?: string }>();
  // The filter lives in the address (?filter=r1), so a filtered view can be bookmarked or shared.
  // It is read on the first render: the server renders only the loading message, which has no filter.
  const [filter, setFilter] = useState(() => (typeof window === 'undefined' ? '' : (new URLSearchParams(window.location.search).get('filter') ?? '')));
  const nextOptimisticId = useRef(1);
  const changeFilter = (text: string) => {
    setFilter(text);
    const url = new URL(window.location.href);
    if (text) url.searchParams.set('filter', text);
    else url.searchParams.delete('filter');
    window.history.replaceState(null, '', url);
  };

  const topology = useMemo<Topology | undefined>(() => {
    if (!served) return undefined;
    const links = served.links.map((link) => (deleting.has(link.id) ? { ...link, status: 'pending' } : link));
    // The controller lists a new link as pending before connect returns. From then on the stored
    // link replaces the local stand-in, so the canvas shows the link once.
    const stored = new Set(served.links.map(endsKeyOf));
    return { ...served, links: [...links, ...optimistic.filter((link) => !stored.has(endsKeyOf(link)))] };
  }, [served, optimistic, deleting]);

  // Forget a local position once the controller returns the same one.
  useEffect(() => {
    if (!served) return;
    setOverrides((current) => {
      if (current.size === 0) return current;
      const next = new Map(current);
      for (const node of served.hosts.flatMap((host) => host.nodes)) {
        const local = next.get(node.id);
        if (local && node.position && Math.abs(local.x - node.position.x) <= POSITION_TOLERANCE && Math.abs(local.y - node.position.y) <= POSITION_TOLERANCE) next.delete(node.id);
      }
      return next.size === current.size ? current : next;
    });
  }, [served]);

  const visible = useMemo(() => (topology ? filterTopology(topology, filter) : undefined), [topology, filter]);
  // A filtered view gets its own layout, so the nodes it shows sit together.
  const canvasLayout = useCanvasLayout(visible, filter);
  const graph = useMemo(() => (visible ? topologyToFlow(visible, { layout: canvasLayout.layout }) : undefined), [visible, canvasLayout.layout]);
  const selectedEdge = graph?.edges.find((edge) => edge.id === selectedEdgeId)?.data;

  const refreshTopology = useCallback(() => queryClient.invalidateQueries({ queryKey: trpc.topology.get.queryKey() }), [queryClient, trpc]);

  const connect = useMutation(trpc.links.connect.mutationOptions());
  const remove = useMutation(trpc.links.delete.mutationOptions());
  const savePosition = useMutation(trpc.nodes.savePosition.mutationOptions());
  const trpcPlan = useMutation(trpc.links.plan.mutationOptions());
  const trpcPlanDelete = useMutation(trpc.links.planDelete.mutationOptions());
  const retry = useMutation(trpc.links.retry.mutationOptions());

  const suggestion = useQuery({
    ...trpc.links.suggest.queryOptions({ a: { nodeId: draft?.source.nodeId ?? '' }, b: { nodeId: draft?.target.nodeId ?? '' } }),
    enabled: draft !== null,
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });

  const details = useQuery({
    ...trpc.links.get.queryOptions({ id: selectedEdge?.linkId ?? '' }),
    enabled: Boolean(selectedEdge?.linkId) && !selectedEdge?.linkId?.startsWith('pending:'),
    retry: false,
  });

  const onConnectNodes = useCallback(
    (sourceId: string, targetId: string) => {
      if (!served) return;
      const source = nodeData(served, sourceId);
      const target = nodeData(served, targetId);
      if (!source || !target) return;
      setSelectedEdgeId(null);
      setDraft({ source, target });
    },
    [served],
  );

  const create = useCallback(
    async (input: ConnectInput) => {
      if (!draft) return;
      const { source, target } = draft;
      const id = `pending:${nextOptimisticId.current++}`;
      setOptimistic((current) => [
        ...current,
        {
          id,
          kind: source.hostId === target.hostId ? 'veth' : 'vxlan',
          status: 'pending',
          endpoints: [
            { hostId: source.hostId, nodeId: source.nodeId, ifname: input.a.ifname, addresses: input.a.addresses },
            { hostId: target.hostId, nodeId: target.nodeId, ifname: input.b.ifname, addresses: input.b.addresses },
          ],
        },
      ]);
      setDraft(null);
      try {
        const link = (await connect.mutateAsync(input)) as TopologyLink;
        if (link.status === 'failed') toasts.show({ tone: 'error', title: `Link ${source.name} – ${target.name} failed`, message: link.lastError ?? undefined });
      } catch (error) {
        toasts.show({ tone: 'error', title: `Link ${source.name} – ${target.name} not created`, message: errorMessage(error) });
      } finally {
        await refreshTopology();
        setOptimistic((current) => current.filter((link) => link.id !== id));
      }
    },
    [draft, connect, toasts, refreshTopology],
  );

  const deleteLink = useCallback(
    async (edge: LinkEdgeData) => {
      const linkId = edge.linkId;
      if (!linkId || edge.foreign || linkId.startsWith('pending:')) return;
      setDeleting((current) => new Set(current).add(linkId));
      try {
        await remove.mutateAsync({ id: linkId });
        setSelectedEdgeId((current) => (current === linkId ? null : current));
      } catch (error) {
        toasts.show({ tone: 'error', title: `Link ${edge.source.ifname} – ${edge.target.ifname} not deleted`, message: errorMessage(error) });
      } finally {
        await refreshTopology();
        setDeleting((current) => {
          const next = new Set(current);
          next.delete(linkId);
          return next;
        });
      }
    },
    [remove, toasts, refreshTopology],
  );

  const onNodeMoved = useCallback(
    (nodeId: string, position: Position) => {
      setOverrides((current) => new Map(current).set(nodeId, position));
      savePosition.mutate(
        { nodeId, ...position },
        {
          onError: (error) => {
            toasts.show({ tone: 'error', title: 'Position not saved', message: errorMessage(error) });
            setOverrides((current) => {
              const next = new Map(current);
              next.delete(nodeId);
              return next;
            });
          },
        },
      );
    },
    [savePosition, toasts],
  );

  // Lays out the nodes on screen (all of them, or those the filter shows) and saves their places.
  const autoLayout = useCallback(async () => {
    if (!visible) return;
    try {
      const positions = await canvasLayout.relayout(visible);
      setOverrides(new Map(positions));
      await Promise.all([...positions].map(([nodeId, position]) => savePosition.mutateAsync({ nodeId, ...position })));
    } catch (error) {
      toasts.show({ tone: 'error', title: 'Layout not saved', message: errorMessage(error) });
    }
  }, [visible, canvasLayout, savePosition, toasts]);

  const showPlanFor = useCallback(
    async (input: ConnectInput) => formatPlan(await trpcPlan.mutateAsync(input)),
    [trpcPlan],
  );

  // The dry run of deleting the selected link: its interfaces exist, so planning their creation
  // again would only report that they exist.
  const showLinkPlan = useCallback(
    async (edge: LinkEdgeData) => {
      const linkId = edge.linkId ?? '';
      if (!linkId) return;
      try {
        setPlan({ linkId, text: formatPlan(await trpcPlanDelete.mutateAsync({ id: linkId })) });
      } catch (error) {
        setPlan({ linkId, error: errorMessage(error) });
      }
    },
    [trpcPlanDelete],
  );

  const retryLink = useCallback(
    async (edge: LinkEdgeData) => {
      if (!edge.linkId) return;
      try {
        const link = await retry.mutateAsync({ id: edge.linkId });
        if (link.status === 'failed') toasts.show({ tone: 'error', title: 'Retry failed', message: link.lastError ?? undefined });
      } catch (error) {
        toasts.show({ tone: 'error', title: 'Retry failed', message: errorMessage(error) });
      } finally {
        await refreshTopology();
      }
    },
    [retry, toasts, refreshTopology],
  );

  // Delete removes the selected link; Escape closes the form, then the details.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        if (draft) setDraft(null);
        else setSelectedEdgeId(null);
        return;
      }
      if ((event.key === 'Delete' || event.key === 'Backspace') && selectedEdge && !draft && !isEditable(event.target)) {
        event.preventDefault();
        void deleteLink(selectedEdge);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [draft, selectedEdge, deleteLink]);

  if (topologyQuery.isPending) return <CanvasMessage testId="canvas-loading">Loading the lab…</CanvasMessage>;
  if (topologyQuery.isError || !topology) {
    return (
      <CanvasMessage testId="canvas-error">
        <p className="koko-error">Could not load the lab: {errorMessage(topologyQuery.error)}</p>
        <button type="button" onClick={() => void topologyQuery.refetch()}>
          Try again
        </button>
      </CanvasMessage>
    );
  }
  if (topology.hosts.length === 0) {
    return (
      <CanvasMessage testId="canvas-empty">
        <h2>No hosts yet</h2>
        <p>
          koko draws the containers and network namespaces of the hosts whose agents it knows. <Link href="/hosts">Add a host</Link> with its agent address and
          token.
        </p>
      </CanvasMessage>
    );
  }
  if (!canvasLayout.ready) return <CanvasMessage testId="canvas-loading">Arranging the nodes…</CanvasMessage>;

  const nodeCount = topology.hosts.reduce((sum, host) => sum + host.nodes.length, 0);
  const shownCount = (visible ?? topology).hosts.reduce((sum, host) => sum + host.nodes.length, 0);
  const nodeName = (nodeId: string) => topology.hosts.flatMap((host) => host.nodes).find((node) => node.id === nodeId)?.name ?? nodeId;
  const hostName = (hostId: string) => topology.hosts.find((host) => host.id === hostId)?.name ?? hostId;

  return (
    <div className="koko-canvas" data-testid="canvas" data-layout={canvasLayout.done ? 'done' : 'pending'}>
      <FlowCanvas
        topology={visible ?? topology}
        layout={canvasLayout.layout}
        overrides={overrides}
        selectedEdgeId={selectedEdgeId}
        onSelectEdge={(id) => {
          setSelectedEdgeId(id);
          setPlan(undefined);
        }}
        onConnectNodes={onConnectNodes}
        onNodeMoved={onNodeMoved}
        fitKey={`${canvasLayout.version}/${filter}`}
      >
        <Panel position="top-left" className="koko-toolbar">
          <input
            className="koko-filter"
            type="search"
            value={filter}
            onChange={(event) => changeFilter(event.target.value)}
            placeholder="Filter nodes"
            aria-label="Show only nodes whose name, image or host contains"
          />
          <button type="button" onClick={() => void autoLayout()} title="Arrange every node again and save the positions">
            Auto layout
          </button>
          <span className="koko-muted">
            {countsText(shownCount, nodeCount, visible ?? topology, graph?.undrawn.length ?? 0)}
          </span>
          {canvasLayout.error && <span className="koko-warning">{canvasLayout.error}</span>}
        </Panel>
        {nodeCount === 0 && (
          <Panel position="top-center" className="koko-panel koko-hint" data-testid="canvas-no-nodes">
            No containers or named network namespaces yet. Start one (<code>docker run -d --name r1 --network none IMAGE sleep infinity</code> or{' '}
            <code>ip netns add lab1</code>) and it appears here.
          </Panel>
        )}
      </FlowCanvas>
      {draft && (
        <LinkForm
          source={draft.source}
          target={draft.target}
          loading={suggestion.isPending && suggestion.fetchStatus !== 'idle'}
          suggestion={suggestion.data}
          suggestionError={suggestion.isError ? errorMessage(suggestion.error) : undefined}
          onSubmit={(input) => void create(input)}
          onCancel={() => setDraft(null)}
          onPlan={showPlanFor}
        />
      )}
      {selectedEdge && !draft && (
        <LinkPanel
          edge={selectedEdge}
          nodeName={nodeName}
          hostName={hostName}
          details={details.data ? linkDetailsOf(details.data) : undefined}
          detailsError={details.isError ? errorMessage(details.error) : undefined}
          deleting={Boolean(selectedEdge.linkId && deleting.has(selectedEdge.linkId))}
          plan={plan?.linkId === selectedEdge.linkId ? plan?.text : undefined}
          planError={plan?.linkId === selectedEdge.linkId ? plan?.error : undefined}
          onDelete={() => void deleteLink(selectedEdge)}
          retrying={retry.isPending}
          onShowPlan={() => void showLinkPlan(selectedEdge)}
          onRetry={() => void retryLink(selectedEdge)}
          onClose={() => setSelectedEdgeId(null)}
        />
      )}
    </div>
  );
}

function CanvasMessage({ children, testId }: { children: React.ReactNode; testId: string }) {
  return (
    <div className="koko-canvas koko-canvas-message" data-testid={testId}>
      <div className="koko-panel">{children}</div>
    </div>
  );
}
