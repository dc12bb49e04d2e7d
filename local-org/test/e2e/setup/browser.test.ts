/**
 * The Setup UI in Debian Chromium (playwright-core): log in through the org's login form, activate
 * a custom MCP server, edit a flow's input variable description while an MCP client is connected
 * (the client receives `tools/list_changed` and then sees the new description), check the org-side
 * change (describe, FlowDefinitionView.LastModifiedDate), edit a custom server's tools, filter the
 * API logs and download the CSV, assign a permission set, and check that a non-admin is refused.
 * Screenshots go to test-artifacts/setup/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startHarness, type Harness } from '../../../../mcp-server/test/helpers/harness.ts';
import { passwordOf, usernameOf } from '../../helpers/oauth.ts';
import { repoRoot } from '../../helpers/org.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(repoRoot, 'test-artifacts', 'setup');

async function login(page: Page, baseUrl: string, persona: string, path: string): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.waitForURL(/\/login\?startURL=/);
  await page.getByLabel('Username').fill(usernameOf(persona));
  await page.getByLabel('Password').fill(passwordOf(usernameOf(persona)));
  await page.getByRole('button', { name: 'Log In' }).click();
  await page.waitForLoadState('domcontentloaded');
}

function reasonDescription(tools: { name: string; inputSchema: unknown }[]): string | undefined {
  const t = tools.find((x) => x.name === 'escalate_case');
  return (t?.inputSchema as { properties?: Record<string, { description?: string }> } | undefined)?.properties?.reason?.description;
}

describe('setup UI: in Chromium', function () {
  this.timeout(120_000);
  let h: Harness;
  let browser: Browser;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (!process.env.CI) this.skip();
      throw new Error(`${CHROMIUM} is missing`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    [h, browser] = await Promise.all([
      startHarness({ pollIntervalMs: 300 }),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
    ]);
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('admin: activates a server, edits a flow description that reaches an open MCP session, edits tools, filters logs, downloads CSV, assigns a permission set', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const url = h.org.url;

    // Login through the org's login form, back to the page asked for.
    await login(page, url, 'admin', '/lightning/setup/McpServers/home');
    expect(new URL(page.url()).pathname).to.equal('/lightning/setup/McpServers/home');
    await page.screenshot({ path: join(ARTIFACTS, '01-mcp-servers.png'), fullPage: true });

    // Activate the custom server (keyboard: focus the button, press Enter).
    const activate = page.getByRole('button', { name: 'Activate ForceGate Service' });
    await activate.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/saved=activated/);
    expect(await page.locator('tr[data-server="ForceGate_Service"] .badge').innerText()).to.equal('Active');
    const access = h.org.org.db.prepare("SELECT Active FROM McpServerAccess WHERE DeveloperName = 'ForceGate_Service' AND IsDeleted = 0").get() as { Active: number };
    expect(access.Active).to.equal(1);

    // An MCP client connected to the server while the admin edits the flow.
    const client: Client = await h.connect('admin', 'custom/ForceGate_Service');
    let changed = 0;
    let onChange: (() => void) | undefined;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
      onChange?.();
    });
    const before = reasonDescription((await client.listTools()).tools);
    expect(before).to.match(/Why the case needs escalation/);
    await new Promise((r) => setTimeout(r, 700)); // the watcher's baseline
    const lastModifiedBefore = (h.org.org.db.prepare("SELECT LastModifiedDate FROM FlowDefinitionView WHERE ApiName = 'Escalate_Case'").get() as { LastModifiedDate: string }).LastModifiedDate;

    await page.getByRole('link', { name: 'Flows' }).click();
    await page.getByRole('link', { name: 'Escalate Case' }).click();
    await page.screenshot({ path: join(ARTIFACTS, '02-flow.png'), fullPage: true });
    const newDescription = 'The reason for escalating, in one sentence the customer could read (at most 255 characters).';
    await page.locator('textarea[data-variable="reason"]').fill(newDescription);
    const notified = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no tools/list_changed within 30 s')), 30_000);
      onChange = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/saved=saved/);
    await page.screenshot({ path: join(ARTIFACTS, '03-flow-saved.png'), fullPage: true });
    expect(await page.locator('textarea[data-variable="reason"]').inputValue()).to.equal(newDescription);

    // Org side: the describe and FlowDefinitionView follow, attributed to the admin.
    const adminToken = await h.adminApiToken();
    const describe = (await (await fetch(`${url}/services/data/v66.0/actions/custom/flow/Escalate_Case`, { headers: { Authorization: `Bearer ${adminToken}` } })).json()) as {
      inputs: { name: string; description: string }[];
    };
    expect(describe.inputs.find((i) => i.name === 'reason')!.description).to.equal(newDescription);
    const fdv = h.org.org.db.prepare("SELECT LastModifiedDate, LastModifiedById FROM FlowDefinitionView WHERE ApiName = 'Escalate_Case'").get() as { LastModifiedDate: string; LastModifiedById: string };
    expect(fdv.LastModifiedDate > lastModifiedBefore).to.equal(true);
    const adminId = (h.org.org.db.prepare('SELECT Id FROM "User" WHERE Username = ?').get(usernameOf('admin')) as { Id: string }).Id;
    expect(fdv.LastModifiedById).to.equal(adminId);

    // The open MCP session is told, and its next tools/list has the new description.
    await notified;
    expect(changed).to.be.greaterThan(0);
    expect(reasonDescription((await client.listTools()).tools)).to.include(newDescription);
    await client.close();

    // Activate an older version, then the newest again.
    await page.getByRole('button', { name: 'Activate version 1' }).click();
    await page.waitForURL(/saved=activated/);
    expect(await page.locator('tr[data-version="1"]').innerText()).to.include('Active');

    // Custom server tools: add a named query tool; saving deactivates the server.
    await page.getByRole('link', { name: 'MCP Servers' }).click();
    await page.getByRole('link', { name: 'ForceGate Service' }).click();
    await page.getByLabel('Action, flow or named query').selectOption('nq:AccountPlansByStatus');
    await page.getByLabel('Tool name').fill('account_plans_by_status');
    await page.getByLabel('Read only').check();
    await page.getByRole('button', { name: 'Add Tool' }).click();
    await page.waitForURL(/saved=tool-added/);
    expect(await page.locator('tr[data-tool="account_plans_by_status"]').count()).to.equal(1);
    expect(await page.locator('#server-status').innerText()).to.equal('Inactive');
    await page.screenshot({ path: join(ARTIFACTS, '04-custom-server-tools.png'), fullPage: true });
    await page.getByRole('button', { name: 'Remove tool account_plans_by_status' }).click();
    await page.waitForURL(/saved=tool-removed/);
    expect(await page.locator('tr[data-tool="account_plans_by_status"]').count()).to.equal(0);

    // API logs: filter to the admin's Setup changes; download the CSV of exactly those.
    await page.getByRole('link', { name: 'API Logs' }).click();
    await page.screenshot({ path: join(ARTIFACTS, '05-api-logs.png'), fullPage: true });
    await page.getByLabel('User', { exact: true }).selectOption(usernameOf('admin'));
    await page.getByLabel('API client category', { exact: true }).selectOption('LIGHTNING_UI');
    await page.getByRole('button', { name: 'Apply Filters' }).click();
    await page.waitForURL(/category=LIGHTNING_UI/);
    const expected = (h.org.org.db.prepare("SELECT COUNT(*) AS n FROM _api_usage WHERE category = 'LIGHTNING_UI' AND user_name = ?").get(usernameOf('admin')) as { n: number }).n;
    expect(expected).to.be.greaterThanOrEqual(5);
    expect(await page.locator('#result-count strong').first().innerText()).to.equal(String(expected));
    expect(await page.locator('#events tbody tr').count()).to.equal(expected);
    expect(await page.locator('svg[role="img"]').count()).to.equal(3);
    await page.screenshot({ path: join(ARTIFACTS, '06-api-logs-filtered.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    expect(csv[0]).to.match(/^"EVENT_TYPE","TIMESTAMP","REQUEST_ID"/);
    expect(csv.length - 1).to.equal(expected);
    expect(csv.slice(1).every((l) => l.includes('"LIGHTNING_UI"'))).to.equal(true);

    // Errors are highlighted: filter to failed calls.
    await page.goto(`${url}/lightning/setup/ApiLogs/home?status=error`);
    const errorRows = await page.locator('#events tbody tr.error').count();
    const errorCount = (h.org.org.db.prepare('SELECT COUNT(*) AS n FROM _api_usage WHERE status_code >= 400').get() as { n: number }).n;
    expect(errorRows).to.equal(Math.min(errorCount, 500));

    // Permission sets: assign and unassign.
    await page.getByRole('link', { name: 'Permission Sets' }).click();
    const assign = page.getByRole('button', { name: `Assign ForceGate Event Log Viewer to ${usernameOf('sales-rep')}` });
    if ((await assign.count()) === 0) throw new Error(await page.content());
    await assign.click();
    await page.waitForURL(/saved=assigned/);
    await page.screenshot({ path: join(ARTIFACTS, '07-permission-sets.png'), fullPage: true });
    await page.getByRole('button', { name: `Unassign ForceGate Event Log Viewer from ${usernameOf('sales-rep')}` }).click();
    await page.waitForURL(/saved=unassigned/);

    expect(dialogs).to.deep.equal([]);
    await context.close();
  });

  it('non-admin: logs in and gets Insufficient Privileges', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await login(page, h.org.url, 'sales-rep', '/lightning/setup/Flows/home');
    expect(new URL(page.url()).pathname).to.equal('/lightning/setup/Flows/home');
    expect(await page.locator('h1').innerText()).to.equal('Insufficient Privileges');
    expect(await page.content()).to.include('You do not have the level of access necessary');
    const res = await page.goto(`${h.org.url}/lightning/setup/PermSets/home`);
    expect(res!.status()).to.equal(403);
    await page.screenshot({ path: join(ARTIFACTS, '08-insufficient-privileges.png'), fullPage: true });
    await context.close();
  });
});
