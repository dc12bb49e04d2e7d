/**
 * The real sf CLI (project-pinned @salesforce/cli, isolated HOME) on a token from a PKCE login of
 * its own app, PlatformCLI: `sf org login access-token`, then `sf org display`.
 */
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { loginWithPkce, passwordOf, PLATFORM_CLI } from '../../helpers/oauth.ts';
import { startTestOrg } from '../../helpers/org.ts';
import { SfCli } from '../../helpers/sf.ts';

const REP = 'rep@forcegate.local';

describe('identity with the sf CLI', function () {
  this.timeout(120_000);
  let local: LocalOrg;
  let sf: SfCli;

  before(async () => {
    local = await startTestOrg();
    sf = new SfCli();
  });
  after(async () => {
    sf.dispose();
    await local.close();
  });

  it('logs in with a PlatformCLI access token and displays the org', async () => {
    // The scopes the sf CLI asks for in its own web login.
    const tokens = await loginWithPkce(local.url, {
      username: REP,
      password: passwordOf(REP),
      clientId: PLATFORM_CLI.clientId,
      redirectUri: PLATFORM_CLI.redirectUri,
      scope: 'refresh_token api web',
      prompt: 'login',
    });
    const login = await sf.loginWithToken(local.url, tokens.access_token, 'x');
    expect(login.code, `${login.stdout}\n${login.stderr}`).to.equal(0);
    expect(login.json?.result).to.deep.include({ username: REP, orgId: local.org.orgId, isDevHub: false, name: 'ForceGate Local Org' });

    const display = await sf.run<Record<string, unknown>>(['org', 'display', '--json', '-o', 'x']);
    expect(display.code, `${display.stdout}\n${display.stderr}`).to.equal(0);
    expect(display.json?.result).to.deep.include({ username: REP, id: local.org.orgId, alias: 'x', connectedStatus: 'Connected' });
    expect(String(display.json?.result.instanceUrl)).to.match(new RegExp(`^${local.url.replace(/[.]/g, '\\.')}/?$`));
  });
});
