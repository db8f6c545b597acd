import { HistoryView } from '@/components/history-view';

export const metadata = { title: 'koko · history' };

export default function HistoryPage() {
  return <HistoryView />;
}
