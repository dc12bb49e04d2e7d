/**
 * What every reader of Apex source shares: a content-hash cache (memory + disk) for results derived
 * from a parse, the compiler's wording of ANTLR syntax errors, and Apex string-literal unescaping.
 *
 * The cache exists because @apexdevtools/apex-parser's first parse in a process costs seconds (ANTLR
 * builds its prediction tables) and a deploy or `startLocalOrg` re-reads unchanged classes. Disk
 * location: `$FORCEGATE_APEX_CACHE_DIR` or `$TMPDIR/forcegate-apex-check-v1`, one subfolder per use.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MEMO_LIMIT = 500;

export class ApexSourceCache<T> {
  private readonly memo = new Map<string, T>();

  /** `namespace` names the disk subfolder; bump `version` whenever the cached value's shape changes. */
  constructor(
    private readonly namespace: string,
    private readonly version: string,
  ) {}

  /** The cached value for `source` (keyed by its SHA-256), computing and storing it on a miss. */
  get(source: string, compute: () => T): T {
    const key = createHash('sha256').update(source).digest('hex');
    let value = this.memo.get(key) ?? this.read(key);
    if (value === undefined) {
      value = compute();
      this.write(key, value);
    }
    if (this.memo.size > MEMO_LIMIT) this.memo.clear();
    this.memo.set(key, value);
    return value;
  }

  private dir(): string {
    return join(process.env.FORCEGATE_APEX_CACHE_DIR ?? join(tmpdir(), 'forcegate-apex-check-v1'), this.namespace);
  }

  private read(key: string): T | undefined {
    try {
      const stored = JSON.parse(readFileSync(join(this.dir(), `${key}.json`), 'utf8')) as { version?: string; value: T };
      return stored.version === this.version ? stored.value : undefined;
    } catch {
      return undefined;
    }
  }

  private write(key: string, value: T): void {
    try {
      const dir = this.dir();
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `${key}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify({ version: this.version, value }));
      renameSync(tmp, join(dir, `${key}.json`));
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
}

/** ANTLR's wording → the Apex compiler's (`Missing ';' at 'x'`, `Unexpected token 'x'.`). */
export function apexSyntaxMessage(message: string): string {
  let m = /^missing (.+?) at (.+)$/.exec(message);
  if (m) return `Missing ${m[1]} at ${m[2]}`;
  m = /^(?:extraneous|mismatched) input ('(?:[^']|'')*'|<EOF>)/.exec(message);
  if (m) return m[1] === '<EOF>' ? 'Unexpected end of file.' : `Unexpected token ${m[1]}.`;
  m = /^no viable alternative at input '(.*)'$/s.exec(message);
  if (m) {
    const tokens = m[1]!.trim().split(/\s+/);
    return `Unexpected token '${tokens[tokens.length - 1]}'.`;
  }
  m = /^token recognition error at: '(.*)'$/s.exec(message);
  if (m) return `Invalid character in identifier: ${m[1]}`;
  return message;
}

/** An Apex string literal's value: strips the quotes and resolves `\'`, `\\`, `\n`, `\t`, `\uXXXX`. */
export function unescapeApexString(literal: string): string {
  const body = literal.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\' || i === body.length - 1) {
      out += c;
      continue;
    }
    const n = body[++i]!;
    if (n === 'n') out += '\n';
    else if (n === 't') out += '\t';
    else if (n === 'r') out += '\r';
    else if (n === 'b') out += '\b';
    else if (n === 'f') out += '\f';
    else if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else out += n;
  }
  return out;
}
