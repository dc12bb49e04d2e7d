/**
 * The login and consent pages in a real browser (headless Chromium through playwright-core): labels,
 * the announced login error, CSP that lets the forms post and the final redirect reach the client,
 * and screenshots under test-artifacts/identity/.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { LocalOrg } from '../../../src/local-org.ts';
import { callbackUrlsOf, consumerKeyOf, exchangeCode, passwordOf, pkcePair } from '../../helpers/oauth.ts';
import { repoRoot, startTestOrg } from '../../helpers/org.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(repoRoot, 'test-artifacts', 'identity');
const REP = 'rep@forcegate.local';

describe('identity in a browser (headless Chromium)', function () {
  this.timeout(60_000);
  let local: LocalOrg | undefined;
  let browser: Browser | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM) && !process.env.CI) {
      console.warn(`    skipped: ${CHROMIUM} is not installed (apt-get install -y chromium); in CI this test fails instead`);
      this.skip();
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    local = await startTestOrg();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await local?.close();
  });

  it('logs in (after one wrong password), consents, and lands on the client with a code', async () => {
    const url = local!.url;
    const clientId = consumerKeyOf('ForceGate_Local_Tools');
    const redirectUri = callbackUrlsOf('ForceGate_Local_Tools')[0]!;
    const { verifier, challenge } = pkcePair();
    const params = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'mcp_api refresh_token', state: 'browser-state', code_challenge: challenge, code_challenge_method: 'S256' });

    const context = await browser!.newContext({ viewport: { width: 900, height: 820 } });
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    // The client (MCP Inspector) is not running: answer its callback here and keep the URL.
    let landed: URL | undefined;
    await page.route(`${new URL(redirectUri).origin}/**`, async (route) => {
      landed = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>Client</title><p>Authorized.</p>' });
    });

    await page.goto(`${url}/services/oauth2/authorize?${params}`);
    expect(await page.title()).to.match(/Login/);
    expect(await page.getByLabel('Username').count()).to.equal(1);
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).to.equal('username');
    await page.getByLabel('Username').fill(REP);
    await page.getByLabel('Password').fill('not-the-password');
    await page.screenshot({ path: join(ARTIFACTS, 'login.png'), fullPage: true });
    await page.getByRole('button', { name: 'Log In' }).click();

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect((await alert.textContent())?.trim()).to.equal("Please check your username and password. If you still can't log in, contact your Salesforce administrator.");
    expect(await page.getByLabel('Username').inputValue()).to.equal(REP);
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).to.equal('password');
    await page.screenshot({ path: join(ARTIFACTS, 'login-error.png'), fullPage: true });

    await page.getByLabel('Password').fill(passwordOf(REP));
    await page.getByRole('button', { name: 'Log In' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.title()).to.match(/Allow Access/);
    const text = await page.locator('main').innerText();
    expect(text).to.contain('ForceGate Local Tools').and.contain('mcp_api').and.contain(REP);
    await page.screenshot({ path: join(ARTIFACTS, 'consent.png'), fullPage: true });

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.toString().startsWith(redirectUri));
    expect(landed, 'the browser reached the redirect URI').not.to.equal(undefined);
    expect(landed!.searchParams.get('state')).to.equal('browser-state');
    const code = landed!.searchParams.get('code')!;
    const tokens = await exchangeCode(url, { code, clientId, redirectUri, verifier });
    expect(tokens).to.include({ token_format: 'jwt', scope: 'mcp_api refresh_token' });
    expect(cspViolations).to.deep.equal([]);
    await context.close();
  });
});
