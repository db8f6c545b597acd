import { HostsView } from '@/components/hosts-view';

export const metadata = { title: 'koko · hosts' };

export default function HostsPage() {
  return <HostsView />;
}
