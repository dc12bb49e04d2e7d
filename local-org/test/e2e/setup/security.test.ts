/**
 * Setup UI security without a browser: unauthenticated requests go to the login page, non-admins
 * get Insufficient Privileges (403) on every page and action, POSTs without the session's CSRF
 * token are refused (403) and change nothing, the session cookie is HttpOnly + SameSite=Strict,
 * output is escaped, and changes are audited as LIGHTNING_UI.
 */
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { renderApiUsageReport } from '../../../src/setup/index.ts';
import { startTestOrg, userId } from '../../helpers/org.ts';
import { usernameOf } from '../../helpers/oauth.ts';
import { setupLogin, csrfOf } from './helpers.ts';

const PAGES = ['/lightning/setup/McpServers/home', '/lightning/setup/Flows/home', '/lightning/setup/Flows/page?name=Escalate_Case', '/lightning/setup/ApiLogs/home', '/lightning/setup/ApiLogs/csv', '/lightning/setup/PermSets/home'];

describe('setup UI: security (HTTP)', function () {
  this.timeout(60_000);
  let local: LocalOrg;

  before(async () => {
    local = await startTestOrg();
  });
  after(async () => local?.close());

  it('redirects unauthenticated requests to the login page with the OAuth login form', async () => {
    for (const path of ['/lightning/setup', ...PAGES]) {
      const res = await fetch(`${local.url}${path}`, { redirect: 'manual' });
      expect(res.status, path).to.equal(303);
      expect(res.headers.get('location'), path).to.match(/^\/login\?startURL=%2Flightning%2Fsetup/);
    }
    const post = await fetch(`${local.url}/lightning/setup/McpServers/activate`, { method: 'POST', body: new URLSearchParams({ id: 'x', active: 'true' }), redirect: 'manual' });
    expect(post.status).to.equal(303);
    const login = await fetch(`${local.url}/login?startURL=%2Flightning%2Fsetup%2FFlows%2Fhome`);
    const html = await login.text();
    expect(html).to.include('name="username"').and.include('name="pw"').and.include('action="/login"');
    expect(login.headers.getSetCookie().join()).to.match(/fg_setup_login=.*HttpOnly.*SameSite=Strict/);
  });

  it('refuses a wrong password and a login post without its CSRF token', async () => {
    let failed: unknown;
    try {
      await setupLogin(local.url, 'admin', 'wrong-password');
    } catch (e) {
      failed = e;
    }
    expect(String(failed)).to.match(/login failed: 200/);
    const res = await fetch(`${local.url}/login`, { method: 'POST', body: new URLSearchParams({ username: usernameOf('admin'), pw: 'x' }), redirect: 'manual' });
    expect(res.status).to.equal(403);
  });

  it('gives the admin an HttpOnly, SameSite=Strict session and never redirects off-site', async () => {
    const page = await fetch(`${local.url}/login?startURL=${encodeURIComponent('https://evil.example/')}`);
    const pre = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const html = await page.text();
    const body = new URLSearchParams({ request_id: 'https://evil.example/', csrf_token: csrfOf(html), username: usernameOf('admin'), pw: (await import('../../helpers/oauth.ts')).passwordOf(usernameOf('admin')) });
    const res = await fetch(`${local.url}/login`, { method: 'POST', body, headers: { Cookie: pre }, redirect: 'manual' });
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.equal('/lightning/setup/SetupOneHome/home');
    const set = res.headers.getSetCookie().find((c) => c.startsWith('fg_setup='))!;
    expect(set).to.include('HttpOnly').and.include('SameSite=Strict').and.include('Path=/lightning');
  });

  for (const persona of ['sales-rep', 'auditor', 'outsider']) {
    it(`refuses ${persona} with Insufficient Privileges on every page and action`, async () => {
      const c = await setupLogin(local.url, persona);
      for (const path of PAGES) {
        const res = await c.get(path);
        expect(res.status, path).to.equal(403);
        const html = await res.text();
        expect(html).to.include('Insufficient Privileges').and.include('You do not have the level of access necessary to perform the operation you requested.');
      }
      const before = local.org.db.prepare('SELECT COUNT(*) AS n FROM McpServerAccess').get() as { n: number };
      const res = await c.post('/lightning/setup/McpServers/activate', { id: 'platform_sobject_reads', active: 'true' }, { csrf: 'anything' });
      expect(res.status).to.equal(403);
      expect(local.org.db.prepare('SELECT COUNT(*) AS n FROM McpServerAccess').get()).to.deep.equal(before);
    });
  }

  it('refuses admin POSTs with a missing or wrong CSRF token, changing nothing', async () => {
    const c = await setupLogin(local.url, 'admin');
    expect(c.csrf).to.have.length.greaterThan(20);
    const rep = userId(local, usernameOf('sales-rep'));
    const ps = (local.org.db.prepare("SELECT Id FROM PermissionSet WHERE Name = 'ForceGate_Event_Log_Viewer'").get() as { Id: string }).Id;
    const count = () => (local.org.db.prepare('SELECT COUNT(*) AS n FROM PermissionSetAssignment WHERE IsDeleted = 0').get() as { n: number }).n;
    const before = count();
    for (const csrf of [null, '', 'wrong-token']) {
      const res = await c.post('/lightning/setup/PermSets/assign', { userId: rep, permissionSetId: ps }, { csrf });
      expect(res.status, String(csrf)).to.equal(403);
    }
    // Another admin session's token is not this session's token.
    const other = await setupLogin(local.url, 'admin');
    expect((await c.post('/lightning/setup/PermSets/assign', { userId: rep, permissionSetId: ps }, { csrf: other.csrf })).status).to.equal(403);
    expect(count()).to.equal(before);
  });

  it('activates a standard server through McpServerAccess and audits it as LIGHTNING_UI', async () => {
    const c = await setupLogin(local.url, 'admin');
    const servers = await (await c.get('/lightning/setup/McpServers/home')).text();
    const id = /data-server="platform_sobject_reads"[\s\S]*?name="id" value="([^"]+)"/.exec(servers)![1]!;
    const res = await c.post('/lightning/setup/McpServers/activate', { id, active: 'true' });
    expect(res.status).to.equal(303);
    const row = local.org.db.prepare("SELECT Active, LastModifiedById FROM McpServerAccess WHERE DeveloperName = 'platform_sobject_reads' AND IsDeleted = 0").get() as { Active: number; LastModifiedById: string };
    expect(row).to.deep.equal({ Active: 1, LastModifiedById: userId(local, usernameOf('admin')) });
    const audit = local.org.db.prepare("SELECT user_name, category, entity_name, connected_app_name FROM _api_usage WHERE category = 'LIGHTNING_UI' ORDER BY seq DESC LIMIT 1").get();
    expect(audit).to.deep.equal({ user_name: usernameOf('admin'), category: 'LIGHTNING_UI', entity_name: 'McpServerAccess', connected_app_name: 'Salesforce Setup' });
  });

  it('assign/unassign takes effect on the next access check', async () => {
    const c = await setupLogin(local.url, 'admin');
    const rep = userId(local, usernameOf('sales-rep'));
    const ps = (local.org.db.prepare("SELECT Id FROM PermissionSet WHERE Name = 'ForceGate_Event_Log_Viewer'").get() as { Id: string }).Id;
    expect(local.org.access.forUser(rep)!.hasPermission('ViewEventLogFiles')).to.equal(false);
    expect((await c.post('/lightning/setup/PermSets/assign', { userId: rep, permissionSetId: ps })).status).to.equal(303);
    expect(local.org.access.forUser(rep)!.hasPermission('ViewEventLogFiles')).to.equal(true);
    expect((await c.post('/lightning/setup/PermSets/unassign', { userId: rep, permissionSetId: ps })).status).to.equal(303);
    expect(local.org.access.forUser(rep)!.hasPermission('ViewEventLogFiles')).to.equal(false);
  });

  it('escapes a hostile flow description everywhere it is shown', async () => {
    const c = await setupLogin(local.url, 'admin');
    const hostile = `<script>alert(1)</script><img src=x onerror="alert(2)">"'&`;
    const res = await c.post('/lightning/setup/Flows/save', { name: 'Escalate_Case', label: 'Escalate Case <b>', description: hostile });
    expect(res.status, await res.clone().text()).to.equal(303);
    for (const path of ['/lightning/setup/Flows/home', '/lightning/setup/Flows/page?name=Escalate_Case']) {
      const html = await (await c.get(path)).text();
      expect(html, path).to.not.include('<script>alert(1)').and.not.include('<img src=x').and.not.include('Escalate Case <b>');
      expect(html, path).to.include('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;&quot;&#39;&amp;');
    }
  });

  it('renders a self-contained report with the three charts, errors highlighted and values escaped', () => {
    const html = renderApiUsageReport([
      { TIMESTAMP_DERIVED: '2026-01-05T10:01:00.000Z', USER_NAME: 'a@x', ENTITY_NAME: 'Account', STATUS_CODE: '200' },
      { TIMESTAMP_DERIVED: '2026-01-05T12:30:00.000Z', USER_NAME: '<b>evil</b>', ENTITY_NAME: 'Case', STATUS_CODE: '403', API_RESOURCE: '/sobjects/Case' },
    ]);
    expect(html).to.match(/^<!DOCTYPE html>/);
    expect(html).to.include('Calls per user').and.include('Calls per object').and.include('Calls per hour');
    expect(html).to.include('class="error-bar"').and.include('&lt;b&gt;evil&lt;/b&gt;').and.not.include('<b>evil</b>');
    expect(html).to.not.match(/<script|src="http|href="http/);
  });
});
