import { Lab } from '@koko/testkit';
import { join } from 'node:path';
import { query } from '../support/app';
import { expect, nodeCard, openCanvas, test } from '../support/fixtures';
import { SCREENSHOT_DIR } from '../support/paths';

test.describe.configure({ mode: 'serial' });

const lab = new Lab('kui');
let netns = '';
/** Where the layout puts the only node of a host group: inside the padding, below the title bar. */
const HOST_PADDING = 24;
const HOST_HEADER = 40;
/** A name with characters outside ISO-8859-1, which an HTTP header cannot carry unencoded. */
const NAME = 'kui 名前';

test.beforeAll(async () => {
  netns = await lab.netns('pos');
});

test.afterAll(async () => {
  await lab.cleanup();
});

test('display name asked once, then kept', async ({ browser, appUrl }) => {
  // A context without the fixture's stored name, as a first visit.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${appUrl}/?filter=${lab.prefix}`);

  const prompt = page.getByRole('dialog', { name: 'Your name' });
  await expect(prompt).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'name-prompt.png') });
  await prompt.getByRole('button', { name: 'Save' }).click();
  await expect(prompt).toContainText('display name is empty');

  await prompt.getByLabel('Display name').fill(NAME);
  await prompt.getByRole('button', { name: 'Save' }).click();
  await expect(prompt).toBeHidden();
  await expect(page.locator('.koko-header')).toContainText(NAME);

  await page.reload();
  await expect(page.locator('[data-testid=canvas]')).toBeVisible();
  await expect(page.getByRole('dialog', { name: 'Your name' })).toHaveCount(0);
  expect(await page.evaluate(() => window.localStorage.getItem('koko.displayName'))).toBe(NAME);

  // The name reaches the history with the next change: move a node, which saves its position.
  await openCanvas(page, appUrl, lab.prefix);
  const card = nodeCard(page, netns);
  const before = await card.boundingBox();
  await card.hover();
  await page.mouse.down();
  await page.mouse.move(before!.x + before!.width / 2 + 120, before!.y + before!.height / 2 + 60, { steps: 8 });
  await page.mouse.up();

  await page.goto(`${appUrl}/history`);
  await expect(page.locator('[data-testid=history-entry][data-action="node.position"]').first()).toContainText(NAME);

  // The saved position survives a reload: the card keeps its place relative to its group.
  await openCanvas(page, appUrl, lab.prefix);
  const group = page.getByTestId('host-group').first();
  const after = await nodeCard(page, netns).boundingBox();
  const groupBox = await group.boundingBox();
  expect(after!.x - groupBox!.x).toBeGreaterThan(60);

  // Auto layout puts the node back in the layout's place and saves that position.
  await page.getByRole('button', { name: 'Auto layout' }).click();
  await expect
    .poll(async () => {
      const topology = await query<{ hosts: { nodes: { name: string; position: { x: number; y: number } | null }[] }[] }>(appUrl, 'topology.get', {});
      return topology.hosts.flatMap((host) => host.nodes).find((node) => node.name === netns)?.position;
    })
    .toEqual({ x: HOST_PADDING, y: HOST_HEADER });
  await context.close();
});
