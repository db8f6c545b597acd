import { test as base, expect, type Locator, type Page } from '@playwright/test';

/** The display name the tests' browsers use; the name prompt test uses a context without it. */
export const DISPLAY_NAME = 'kui-tester';

export const test = base.extend<{ appUrl: string }>({
  // Playwright reads a fixture's dependencies from its first parameter, so it must be a pattern.
  // eslint-disable-next-line no-empty-pattern
  appUrl: async ({}, use) => {
    const url = process.env.KOKO_E2E_URL;
    if (!url) throw new Error('KOKO_E2E_URL is not set; run the tests with `pnpm --filter @koko/e2e test`, whose global setup starts the app');
    await use(url);
  },
  context: async ({ context }, use) => {
    await context.addInitScript((name) => window.localStorage.setItem('koko.displayName', name), DISPLAY_NAME);
    await use(context);
  },
});

export { expect };

/** Opens the canvas filtered to `filter` and waits until the automatic layout has placed the nodes. */
export async function openCanvas(page: Page, appUrl: string, filter: string): Promise<void> {
  await page.goto(`${appUrl}/?filter=${encodeURIComponent(filter)}`);
  await expect(page.locator('[data-testid=canvas][data-layout=done]')).toBeVisible();
}

export function nodeCard(page: Page, name: string): Locator {
  return page.locator(`.react-flow__node-lab:has([data-node-name="${name}"])`);
}

/** Returns the controller's node id of the card named `name`, once the card is on the canvas. */
export async function nodeIdOf(page: Page, name: string): Promise<string> {
  const card = nodeCard(page, name);
  await expect(card).toBeVisible();
  const id = await card.getAttribute('data-id');
  if (!id) throw new Error(`node card ${name} has no data-id`);
  return id;
}

/** Drags from the right-hand handle of node `fromId` to the left-hand handle of node `toId`, as a user does. */
export async function dragLink(page: Page, fromId: string, toId: string): Promise<void> {
  const source = page.locator(`.react-flow__node[data-id="${fromId}"] .react-flow__handle.source`);
  const target = page.locator(`.react-flow__node[data-id="${toId}"] .react-flow__handle.target`);
  const from = await source.boundingBox();
  const to = await target.boundingBox();
  if (!from || !to) throw new Error('a handle is not on screen');
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
  await page.mouse.up();
}

export function linkForm(page: Page): Locator {
  return page.getByRole('dialog', { name: 'New link' });
}

/** Finds the edge whose ends are `nodeA/ifnameA` and `nodeB/ifnameB`, in either order. */
export function edgeByEnds(page: Page, a: string, b: string): Locator {
  return page.locator(`[data-testid=link-edge][data-ends="${[a, b].sort().join(' ')}"]`);
}
