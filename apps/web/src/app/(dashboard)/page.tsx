import { LiveCanvas } from '@/components/canvas/live-canvas';

export const metadata = { title: 'koko · canvas' };

export default function CanvasPage() {
  return <LiveCanvas />;
}
