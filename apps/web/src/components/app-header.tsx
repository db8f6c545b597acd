'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useLiveStatus } from './live-updates';
import { useUserName } from './user-name';

const PAGES = [
  { href: '/', label: 'Canvas' },
  { href: '/hosts', label: 'Hosts' },
  { href: '/history', label: 'History' },
];

const LIVE_TEXT = { connecting: 'connecting…', live: 'live', offline: 'offline: reconnecting' } as const;

export function AppHeader() {
  const pathname = usePathname();
  const { name, rename } = useUserName();
  const live = useLiveStatus();
  return (
    <header className="koko-header">
      <span className="koko-logo">koko</span>
      <nav aria-label="Pages">
        {PAGES.map((page) => (
          <Link key={page.href} href={page.href} className={pathname === page.href ? 'koko-nav-current' : undefined} aria-current={pathname === page.href ? 'page' : undefined}>
            {page.label}
          </Link>
        ))}
      </nav>
      <span className="koko-header-spacer" />
      <span className={`koko-live koko-live-${live}`} data-testid="live-status" title="Changes from other browsers and from the agents arrive over this stream">
        {LIVE_TEXT[live]}
      </span>
      <button type="button" className="koko-link-button" onClick={rename} title="Change the name history shows for your changes">
        {name ?? 'set your name'}
      </button>
    </header>
  );
}
