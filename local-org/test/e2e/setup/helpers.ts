/**
 * HTTP helpers for the Setup UI tests: a browser-less login (the same form a browser posts) and
 * requests carrying the Setup session cookie.
 */
import { passwordOf, usernameOf } from '../../helpers/oauth.ts';

export interface SetupClient {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, fields: Record<string, string>, opts?: { csrf?: string | null }): Promise<Response>;
}

function cookiesOf(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(';')[0]!);
}

export function csrfOf(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no csrf_token in page');
  return m[1]!;
}

/** Logs a persona in through `/login` and returns a client with its Setup session. */
export async function setupLogin(baseUrl: string, persona: string, password?: string): Promise<SetupClient> {
  const page = await fetch(`${baseUrl}/login?startURL=${encodeURIComponent('/lightning/setup/SetupOneHome/home')}`, { redirect: 'manual' });
  const pre = cookiesOf(page).join('; ');
  const html = await page.text();
  const body = new URLSearchParams({ request_id: '/lightning/setup/SetupOneHome/home', csrf_token: csrfOf(html), username: usernameOf(persona), pw: password ?? passwordOf(usernameOf(persona)) });
  const res = await fetch(`${baseUrl}/login`, { method: 'POST', body, headers: { Cookie: pre, 'Content-Type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  if (res.status !== 303) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = cookiesOf(res).filter((c) => c.startsWith('fg_setup=')).join('; ');
  const client: SetupClient = {
    cookie,
    csrf: '',
    get: (path) => fetch(`${baseUrl}${path}`, { headers: { Cookie: cookie }, redirect: 'manual' }),
    post: (path, fields, opts = {}) => {
      const form = new URLSearchParams(fields);
      const token = opts.csrf === undefined ? client.csrf : opts.csrf;
      if (token !== null) form.set('csrf_token', token);
      return fetch(`${baseUrl}${path}`, { method: 'POST', body: form, headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    },
  };
  const home = await client.get('/lightning/setup/SetupOneHome/home');
  const text = await home.text();
  if (home.status === 200) client.csrf = csrfOf(text);
  return client;
}
