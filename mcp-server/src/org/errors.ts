/**
 * The org's errors as typed values. REST errors arrive as `[{message, errorCode, fields}]`, action and
 * collection results use `statusCode`, OAuth endpoints use `{error, error_description}`; all of them
 * become an {@link OrgApiError} carrying the platform's own code and message, which is what a tool
 * shows the client (`<errorCode>: <message>`).
 */

export interface OrgErrorItem {
  errorCode: string;
  message: string;
  fields?: string[];
}

/** The org answered with an error status (FLS, sharing, validation, limits, bad SOQL, …). */
/** Statuses that mean the org (or a proxy in front of it) is unavailable, not that a request was wrong. */
export function isOrgUnavailable(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

export class OrgApiError extends Error {
  constructor(
    readonly status: number,
    readonly items: OrgErrorItem[],
    readonly requestId?: string,
  ) {
    super(items.map((i) => `${i.errorCode}: ${i.message}`).join('; ') || `HTTP ${status}`);
    this.name = 'OrgApiError';
  }

  get errorCode(): string {
    return this.items[0]?.errorCode ?? `ERROR_HTTP_${this.status}`;
  }
}

/**
 * The org refused the caller's token (401). The server never retries with another credential: the
 * client must re-authenticate its user.
 */
export class OrgAuthError extends OrgApiError {
  constructor(status: number, items: OrgErrorItem[], requestId?: string) {
    super(status, items, requestId);
    this.name = 'OrgAuthError';
    const detail = items.map((i) => `${i.errorCode}: ${i.message}`).join('; ');
    this.message = `${detail || 'INVALID_SESSION_ID: Session expired or invalid'} — the org no longer accepts this access token; re-authenticate the MCP client (sign in again) and retry.`;
  }
}

/** The org could not be reached or did not answer in time. Nothing is known about the outcome. */
export class OrgUnavailableError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network',
  ) {
    super(message);
    this.name = 'OrgUnavailableError';
  }

  get errorCode(): string {
    return this.kind === 'timeout' ? 'ORG_TIMEOUT' : 'ORG_UNREACHABLE';
  }
}

/** A tool's own refusal (the org was not asked, or its answer cannot be used). */
export class ToolInputError extends Error {
  constructor(
    message: string,
    readonly errorCode = 'INVALID_INPUT',
  ) {
    super(message);
    this.name = 'ToolInputError';
  }
}

/** Normalises any error body the org sends into items. */
export function parseErrorBody(status: number, body: unknown, rawText: string): OrgErrorItem[] {
  const asItem = (e: Record<string, unknown>): OrgErrorItem | undefined => {
    const code = e.errorCode ?? e.statusCode ?? e.error;
    const message = e.message ?? e.error_description ?? e.msg;
    if (typeof code !== 'string' && typeof message !== 'string') return undefined;
    const item: OrgErrorItem = { errorCode: String(code ?? `ERROR_HTTP_${status}`), message: String(message ?? '') };
    if (Array.isArray(e.fields)) item.fields = e.fields.map(String);
    return item;
  };
  if (Array.isArray(body)) {
    const items = body.flatMap((e) => (e && typeof e === 'object' ? [asItem(e as Record<string, unknown>)] : [])).filter(
      (i): i is OrgErrorItem => i !== undefined,
    );
    if (items.length) return items;
  } else if (body && typeof body === 'object') {
    const item = asItem(body as Record<string, unknown>);
    if (item) return [item];
  }
  const text = rawText.trim().slice(0, 500);
  return [{ errorCode: `ERROR_HTTP_${status}`, message: text || `The org answered HTTP ${status}` }];
}

/** The text a tool error shows: the platform's code and message. */
export function describeError(err: unknown): { errorCode: string; text: string } {
  if (err instanceof OrgAuthError) return { errorCode: err.errorCode, text: err.message };
  if (err instanceof OrgApiError) return { errorCode: err.errorCode, text: err.message };
  if (err instanceof OrgUnavailableError) return { errorCode: err.errorCode, text: `${err.errorCode}: ${err.message}` };
  if (err instanceof ToolInputError) return { errorCode: err.errorCode, text: `${err.errorCode}: ${err.message}` };
  const message = err instanceof Error ? err.message : String(err);
  return { errorCode: 'INTERNAL_ERROR', text: `INTERNAL_ERROR: ${message}` };
}
