/**
 * Errors in the platform's own shapes. REST data-API errors are a JSON array of
 * `{message, errorCode, fields?}` with the platform's HTTP status; OAuth errors are
 * `{error, error_description}`. Handlers throw these; the router renders them.
 */

export interface SalesforceErrorItem {
  message: string;
  errorCode: string;
  fields?: string[];
}

/** A REST API error: rendered as `[{message, errorCode, fields?}]` with `status`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }

  body(): SalesforceErrorItem[] {
    const item: SalesforceErrorItem = { message: this.message, errorCode: this.errorCode };
    if (this.fields) item.fields = this.fields;
    return [item];
  }
}

/** Several errors at once (e.g. two required fields missing) under one status. */
export class ApiErrors extends Error {
  constructor(
    readonly status: number,
    readonly items: SalesforceErrorItem[],
  ) {
    super(items.map((i) => i.message).join('; '));
  }
}

/** An OAuth endpoint error: `{error, error_description}` (or form-encoded for revoke). */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export const errors = {
  notFound: () => new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist'),
  invalidSession: () => new ApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid'),
  methodNotAllowed: (method: string, allowed: string) =>
    new ApiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are ${allowed}`),
  insufficientAccess: (message = 'insufficient access rights on object id') =>
    new ApiError(403, 'INSUFFICIENT_ACCESS_OR_READONLY', message, []),
  malformedId: (label: string, id: string, field = 'Id') =>
    new ApiError(400, 'MALFORMED_ID', `${label} ID: id value of incorrect type: ${id}`, [field]),
  jsonParser: (message: string) => new ApiError(400, 'JSON_PARSER_ERROR', message),
  apiDisabled: () => new ApiError(403, 'API_DISABLED_FOR_ORG', 'The REST API is not enabled for this Organization.'),
};
