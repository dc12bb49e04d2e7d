/**
 * Shared pieces of the benchmark: figures, statistics, interleaved A/B timing and request counting.
 * Times are taken with `performance.now()`; ratios compare A and B measured in the same run, turn by
 * turn (A,B then B,A…), so the noise of a shared machine lands on both sides.
 */
import type { Server } from 'node:http';

export interface Figure {
  id: string;
  name: string;
  measured: number;
  unit: string;
  target: number;
  /** `max`: measured must be ≤ target; `min`: ≥ target. */
  kind: 'max' | 'min';
  holds: boolean;
  detail?: string;
}

export interface Blocked {
  id: string;
  name: string;
  reason: string;
}

export interface BenchContext {
  quick: boolean;
  log(message: string): void;
}

export interface FigureSet {
  figures: Figure[];
  blocked?: Blocked[];
  /** Free-form numbers worth keeping (counts, absolute times of the two sides…). */
  notes?: Record<string, number | string>;
}

export function figure(f: Omit<Figure, 'holds'>): Figure {
  const holds = Number.isFinite(f.measured) && (f.kind === 'max' ? f.measured <= f.target : f.measured >= f.target);
  return { ...f, holds };
}

export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[idx]!;
}

export const median = (v: number[]): number => quantile(v, 0.5);
export const p99 = (v: number[]): number => quantile(v, 0.99);

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs `a` and `b` `n` times each, alternating which goes first; returns both samples (ms). */
export async function interleave(n: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<{ a: number[]; b: number[] }> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      ta.push(await time(a));
      tb.push(await time(b));
    } else {
      tb.push(await time(b));
      ta.push(await time(a));
    }
  }
  return { a: ta, b: tb };
}

/** Runs every function `n` times in rotating order (so none always goes first); returns a sample per function (ms). */
export async function rotate(n: number, fns: (() => Promise<unknown>)[]): Promise<number[][]> {
  const samples = fns.map((): number[] => []);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < fns.length; k++) {
      const j = (i + k) % fns.length;
      samples[j]!.push(await time(fns[j]!));
    }
  }
  return samples;
}

/** Counts HTTP requests an in-process server receives (the org), by path. */
export class RequestCounter {
  private n = 0;
  readonly paths: string[] = [];
  private readonly listener = (req: { url?: string }): void => {
    this.n++;
    if (this.paths.length < 1000) this.paths.push(req.url ?? '');
  };

  constructor(private readonly server: Server) {
    server.on('request', this.listener);
  }

  get count(): number {
    return this.n;
  }

  reset(): void {
    this.n = 0;
    this.paths.length = 0;
  }

  dispose(): void {
    this.server.off('request', this.listener);
  }
}

export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

export const PROTOCOL = '2025-06-18';

/** Opens a Streamable HTTP session with raw JSON-RPC (initialize + notifications/initialized); returns its id. */
export async function openSession(url: string, token: string): Promise<string> {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
  });
  const body = await res.text();
  const sid = res.headers.get('mcp-session-id');
  if (res.status !== 200 || !sid) throw new Error(`initialize: ${res.status} ${body.slice(0, 300)}`);
  const ack = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await ack.text();
  if (ack.status >= 300) throw new Error(`initialized: ${ack.status}`);
  return sid;
}

/** One JSON-RPC request on a session, answered as JSON or SSE; returns the parsed result. */
export async function rpc(url: string, token: string, sid: string, method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method, params }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method}: ${res.status} ${text.slice(0, 300)}`);
  const json = text.startsWith('{') ? text : text.split('\n').find((l) => l.startsWith('data: '))!.slice(6);
  const msg = JSON.parse(json) as { result?: Record<string, unknown>; error?: unknown };
  if (!msg.result) throw new Error(`${method}: ${JSON.stringify(msg.error)}`);
  return msg.result;
}
