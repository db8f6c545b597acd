import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startAgentProcess, type AgentProcess } from '@koko/testkit';
import { expect, test } from '../support/fixtures';
import { SCREENSHOT_DIR } from '../support/paths';

test.describe.configure({ mode: 'serial' });

// A second agent on this machine plays another host, since it has its own host id.
let agent: AgentProcess | undefined;
const hostName = `kui-h2-${randomBytes(2).toString('hex')}`;

test.beforeAll(async () => {
  agent = await startAgentProcess();
});

test.afterAll(async () => {
  await agent?.stop();
});

test('lists the local host online', async ({ page, appUrl }) => {
  await page.goto(`${appUrl}/hosts`);

  const table = page.getByTestId('hosts-table');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(table.getByTestId('host-status').first()).toHaveText('online');
  await expect(table).toContainText('unix:');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'hosts.png') });
});

test('wrong token shows the error', async ({ page, appUrl }) => {
  await page.goto(`${appUrl}/hosts`);
  const form = page.getByRole('form', { name: 'Add a host' });
  await form.getByLabel('Name').fill(hostName);
  await form.getByLabel('Agent address').fill(agent!.address);
  await form.getByLabel('Token').fill('kui-not-the-right-token');
  await form.getByRole('button', { name: 'Add host' }).click();

  await expect(page.getByTestId('add-host-error')).toContainText(/token/i);
  await expect(page.locator(`tr[data-host-name="${hostName}"]`)).toHaveCount(0);
});

test('unreachable agent shows the error', async ({ page, appUrl }) => {
  await page.goto(`${appUrl}/hosts`);
  const form = page.getByRole('form', { name: 'Add a host' });
  await form.getByLabel('Name').fill(hostName);
  await form.getByLabel('Agent address').fill('unix:/run/kui-no-such-agent.sock');
  await form.getByLabel('Token').fill('kui-any-token-0123456789');
  await form.getByRole('button', { name: 'Add host' }).click();

  await expect(page.getByTestId('add-host-error')).toContainText('kui-no-such-agent.sock');
  await expect(page.locator(`tr[data-host-name="${hostName}"]`)).toHaveCount(0);
});

test('adds and removes a host', async ({ page, appUrl }) => {
  await page.goto(`${appUrl}/hosts`);
  const form = page.getByRole('form', { name: 'Add a host' });
  await form.getByLabel('Name').fill(hostName);
  await form.getByLabel('Agent address').fill(agent!.address);
  await form.getByLabel('Token').fill(agent!.token);
  await form.getByRole('button', { name: 'Add host' }).click();

  const row = page.locator(`tr[data-host-name="${hostName}"]`);
  await expect(row.getByTestId('host-status')).toHaveText('online');
  await expect(page.getByTestId('toast-success')).toContainText(`Host ${hostName} added`);

  await row.getByRole('button', { name: 'Remove…' }).click();
  await row.getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByTestId('hosts-table').locator('tbody tr')).toHaveCount(1);
});

test('a koko error keeps its status over HTTP', async ({ appUrl }) => {
  // The built app bundles the server code; an error must still map to its own status, not 500.
  const response = await fetch(`${appUrl}/api/trpc/links.get?input=${encodeURIComponent(JSON.stringify({ id: 'kuinolink0' }))}`);
  const body = (await response.json()) as { error?: { message: string; data?: { code?: string; kokoCode?: string | null } } };
  expect(response.status).toBe(404);
  expect(body.error?.data?.code).toBe('NOT_FOUND');
  expect(body.error?.data?.kokoCode).toBe('not-found');
  expect(body.error?.message).toMatch(/link "kuinolink0" does not exist/);
});
