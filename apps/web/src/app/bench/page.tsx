import { notFound } from 'next/navigation';
import { BenchCanvas } from '@/components/bench/bench-canvas';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'koko · canvas benchmark' };

/** Largest synthetic lab the page builds, so a stray request cannot make the server page huge. */
const MAX_ITEMS = 5000;

function count(value: string | string[] | undefined, fallback: number): number {
  const parsed = Number(Array.isArray(value) ? value[0] : value);
  return Number.isInteger(parsed) && parsed >= 0 ? Math.min(parsed, MAX_ITEMS) : fallback;
}

/**
 * The canvas with a synthetic topology, for the dashboard benchmark. It exists only when the
 * server runs with KOKO_DASHBOARD_BENCH=1; otherwise the route is a 404.
 */
export default async function BenchPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  if (process.env.KOKO_DASHBOARD_BENCH !== '1') notFound();
  const params = await searchParams;
  return <BenchCanvas hosts={Math.max(1, count(params.hosts, 4))} nodes={count(params.nodes, 500)} links={count(params.links, 1000)} />;
}
