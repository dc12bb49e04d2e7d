/**
 * One caller's view of the org: every request carries that caller's own access token, a bounded
 * timeout, and `Sforce-Call-Options: client=ForceGate` so the org's ApiTotalUsage rows name us.
 *
 * An OrgClient is built per tool call from the token that came with the MCP request (HTTP mode) or
 * from the sf CLI's stored auth of the one local user (stdio mode). There is no other constructor
 * input that could carry a credential, and nothing here caches tokens.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { OrgApiError, OrgAuthError, OrgUnavailableError, ToolInputError, parseErrorBody } from './errors.ts';

export const CALL_OPTIONS = 'client=ForceGate';

export interface OrgCallRecord {
  method: string;
  path: string;
  status: number;
  durationMs: number;
  /** The org's request id, when it sends one in a response header. */
  requestId?: string;
}

export interface OrgClientOptions {
  /** `https://mydomain.my.salesforce.com` or `http://127.0.0.1:6101`. */
  instanceUrl: string;
  /** `66.0`. */
  apiVersion: string;
  /** The calling user's access token. */
  accessToken: string;
  /** Upper bound for one HTTP exchange with the org. */
  timeoutMs: number;
  /** Sees every exchange (audit). */
  onCall?: (record: OrgCallRecord) => void;
  /**
   * stdio mode only: a fresh token for the same user after a 401 (the sf CLI's refresh). HTTP mode
   * never sets it: there the client must re-authenticate.
   */
  refreshAccessToken?: () => Promise<string>;
  /** Cancels in-flight requests (the MCP request was cancelled). */
  signal?: AbortSignal;
}

/** Response headers by lower-case name (the subset of the Fetch `Headers` API callers use). */
export class ResponseHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
}

export interface OrgResponse<T> {
  status: number;
  body: T;
  headers: ResponseHeaders;
}

export interface RequestOptions {
  body?: unknown;
  /** Statuses ≥ 400 the caller handles itself (e.g. 400 from an action invoke, whose body is per-input results). */
  acceptStatus?: (status: number) => boolean;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
}

export interface QueryResult<R = Record<string, unknown>> {
  totalSize: number;
  done: boolean;
  records: R[];
  nextRecordsUrl?: string;
}

/** Connection errors that happen before a request is sent: the org never saw it. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

const REQUEST_ID_HEADERS = ['sforce-request-id', 'x-request-id', 'x-sfdc-request-id', 'request-id'];

export class OrgClient {
  private token: string;

  constructor(private readonly options: OrgClientOptions) {
    this.token = options.accessToken;
  }

  get instanceUrl(): string {
    return this.options.instanceUrl;
  }

  get apiVersion(): string {
    return this.options.apiVersion;
  }

  /** `/services/data/v66.0` + `path` unless `path` is already absolute (`/services/...`). */
  dataPath(path: string): string {
    if (path.startsWith('/services/')) return path;
    return `/services/data/v${this.options.apiVersion}${path.startsWith('/') ? path : `/${path}`}`;
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<OrgResponse<T>> {
    const url = new URL(this.dataPath(path), this.options.instanceUrl);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    let refreshed = false;
    let retried = false;
    for (;;) {
      const started = performance.now();
      let res: RawResponse;
      try {
        res = await send(url, {
          method,
          headers: {
            Authorization: `Bearer ${this.token}`,
            Accept: 'application/json',
            'Sforce-Call-Options': CALL_OPTIONS,
            'User-Agent': 'ForceGate-MCP/0.1',
            ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            ...opts.headers,
          },
          body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
          timeoutMs: this.options.timeoutMs,
          signal: this.options.signal,
        });
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e.name === 'TimeoutError') {
          throw new OrgUnavailableError(
            `The org at ${this.options.instanceUrl} did not answer ${method} ${url.pathname} within ${seconds(this.options.timeoutMs)} s. The outcome is unknown${method === 'GET' ? '' : '; check the record before retrying'}.`,
            'timeout',
          );
        }
        if (e.name === 'AbortError') throw new OrgUnavailableError('The request was cancelled by the client.', 'network');
        // Reads may be retried once on a network error; writes never are (the org may have applied them).
        if (method === 'GET' && !retried) {
          retried = true;
          continue;
        }
        // A write whose connection failed after it was sent may have been applied: say so, so nobody
        // retries it blindly. One that never got a connection was not.
        const unsent = method === 'GET' || (e.code !== undefined && NOT_SENT.has(e.code));
        throw new OrgUnavailableError(
          `Could not reach the org at ${this.options.instanceUrl} (${e.code ?? e.message}).${unsent ? '' : ` The org may have applied this ${method} before the connection failed; check the record before retrying.`}`,
          'network',
        );
      }
      const text = res.text;
      const requestId = REQUEST_ID_HEADERS.map((h) => res.headers.get(h)).find((v): v is string => !!v);
      this.options.onCall?.({
        method,
        path: url.pathname,
        status: res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(requestId ? { requestId } : {}),
      });
      let body: unknown = undefined;
      if (text) {
        const type = res.headers.get('content-type') ?? '';
        if (/json/i.test(type) || /^[[{]/.test(text.trimStart())) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        } else {
          body = text;
        }
      }
      if (res.status === 401) {
        if (this.options.refreshAccessToken && !refreshed) {
          refreshed = true;
          this.token = await this.options.refreshAccessToken();
          continue;
        }
        throw new OrgAuthError(401, parseErrorBody(401, body, text), requestId);
      }
      if ((res.status >= 400 || (res.status >= 300 && res.status !== 304)) && !opts.acceptStatus?.(res.status)) {
        throw new OrgApiError(res.status, parseErrorBody(res.status, body, text), requestId);
      }
      return { status: res.status, body: body as T, headers: res.headers };
    }
  }

  async get<T = unknown>(path: string, query?: RequestOptions['query'], headers?: Record<string, string>): Promise<T> {
    return (await this.request<T>('GET', path, { query, headers })).body;
  }

  async post<T = unknown>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>('POST', path, { body })).body;
  }

  async patch<T = unknown>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>('PATCH', path, { body })).body;
  }

  async delete<T = unknown>(path: string): Promise<T> {
    return (await this.request<T>('DELETE', path)).body;
  }

  /** SOQL through `/query` (or the Tooling API's). */
  query<R = Record<string, unknown>>(soql: string, opts: { tooling?: boolean } = {}): Promise<QueryResult<R>> {
    return this.get<QueryResult<R>>(opts.tooling ? '/tooling/query' : '/query', { q: soql });
  }

  /** Follows `nextRecordsUrl` (an absolute path the org gave us). */
  queryMore<R = Record<string, unknown>>(nextRecordsUrl: string): Promise<QueryResult<R>> {
    if (!/^\/services\/data\/v\d+\.\d\/(tooling\/)?query(All)?\/[^/?#]+$/.test(nextRecordsUrl)) {
      throw new ToolInputError(`Not a query locator URL from this org: ${nextRecordsUrl}`, 'INVALID_QUERY_LOCATOR');
    }
    return this.get<QueryResult<R>>(nextRecordsUrl);
  }

}

/*
 * The org exchange runs on node:http(s) with keep-alive agents rather than the global fetch: for the
 * 40 KB JSON bodies a 200-row query returns, undici's fetch (web streams, Headers, AbortSignal.any per
 * request) cost the MCP server more CPU per tool call than the rest of the call (bench P1/P4). Redirects
 * are not followed (as with `redirect: 'manual'` before): an org that redirects is answered as an error.
 */
// `timeout` closes a kept-alive socket after 4 s idle (Node applies it to free sockets only), before a
// server's usual 5 s keep-alive timeout can close it under a write just sent on it.
const AGENT_OPTIONS = { keepAlive: true, keepAliveMsecs: 10_000, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo', timeout: 4_000 } as const;
const httpAgent = new HttpAgent(AGENT_OPTIONS);
const httpsAgent = new HttpsAgent(AGENT_OPTIONS);

interface RawResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
}

function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** One HTTP exchange, bounded by `timeoutMs` (whole exchange, body included) and `signal`. */
function send(
  url: URL,
  opts: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(namedError('AbortError', 'aborted'));
    const https = url.protocol === 'https:';
    const headers = opts.body !== undefined ? { ...opts.headers, 'Content-Length': String(Buffer.byteLength(opts.body)) } : opts.headers;
    let settled = false;
    let req: ClientRequest | undefined;
    const finish = (err: Error | undefined, value?: RawResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req?.destroy();
        reject(err);
      } else resolve(value!);
    };
    const onAbort = (): void => finish(namedError('AbortError', 'aborted'));
    try {
      req = (https ? httpsRequest : httpRequest)(url, { method: opts.method, headers, agent: https ? httpsAgent : httpAgent }, onResponse);
    } catch (err) {
      return reject(err as Error); // e.g. a header value Node refuses: nothing was sent
    }
    // Declared after the request so a synchronous throw above leaves no timer behind; `finish` only
    // runs from later events.
    const timer = setTimeout(() => finish(namedError('TimeoutError', 'timeout')), opts.timeoutMs);
    function onResponse(res: IncomingMessage): void {
      // No Accept-Encoding is sent; a compressed body would be read as garbled text.
      const encoding = res.headers['content-encoding'];
      if (encoding && encoding !== 'identity') return finish(namedError('Error', `unexpected Content-Encoding ${encoding}`));
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => finish(e));
      res.on('aborted', () => finish(namedError('Error', 'connection closed before the response ended')));
      res.on('end', () => {
        if (!res.complete) return finish(namedError('Error', 'connection closed before the response ended'));
        finish(undefined, { status: res.statusCode ?? 0, headers: new ResponseHeaders(res.headers), text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') });
      });
    }
    req.on('error', (e) => finish(e));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(opts.body);
  });
}

/** Quotes a value for a SOQL string literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** sObject and field API names (`Account`, `Account_Plan__c`, `ns__Obj__c`, `Owner.Name`). */
export const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;
export const SALESFORCE_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/** Refuses anything that is not a plain API name before it is put into a URL or SOQL text. */
export function assertApiName(kind: string, value: string): string {
  if (!API_NAME.test(value)) throw new ToolInputError(`${kind} is not a valid API name: ${JSON.stringify(value)}`, 'INVALID_TYPE');
  return value;
}

/** `1.5`, `20`: a duration in seconds as people write it. */
function seconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0)));
}
