/**
 * `aa:` (Apex `@InvocableMethod`) and `fa:` (autolaunched Flow) tools. The describe gives the input
 * and output schema; a call posts `{"inputs":[<arguments>]}` (the invocable REST contract — flat
 * arguments would fail with JSON_PARSER_ERROR) and returns the single result's `outputValues` as
 * structured content. A failed item (`isSuccess:false`) becomes a tool error with the action's own
 * status code and message.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { actionPath, type ActionDescribe, type ActionKind } from '../../org/actions.ts';
import { OrgApiError } from '../../org/errors.ts';
import type { CustomToolDefinition } from '../../servers/registry.ts';
import type { ToolSpec } from '../types.ts';
import { inputObject, outputObject } from './schema.ts';

interface ActionResult {
  actionName?: string;
  isSuccess: boolean;
  errors?: { statusCode?: string; errorCode?: string; message?: string; fields?: string[] }[] | null;
  outputValues?: Record<string, unknown> | null;
}

export function definitionAnnotations(def: CustomToolDefinition, title: string | undefined): ToolAnnotations {
  const readOnly = def.readOnly ?? false;
  return {
    ...(title ? { title } : {}),
    readOnlyHint: readOnly,
    // The MCP default for a non-read-only tool is destructive; keep it unless the definition says otherwise.
    destructiveHint: readOnly ? false : (def.destructive ?? true),
    idempotentHint: def.idempotent ?? readOnly,
    openWorldHint: def.openWorld ?? false,
  };
}

export function invocableTool(name: string, def: CustomToolDefinition, kind: ActionKind, action: ActionDescribe): ToolSpec {
  const title = def.toolTitle || action.label || action.name;
  const path = actionPath({ kind, name: action.name });
  return {
    name,
    title,
    description: def.description || action.description || action.label || `${kind === 'apex' ? 'Apex action' : 'Flow'} ${action.name}`,
    inputSchema: inputObject(action.inputs),
    outputSchema: outputObject(action.outputs),
    annotations: definitionAnnotations(def, title),
    async run(args, { org }) {
      const res = await org.request<ActionResult[] | unknown>('POST', path, { body: { inputs: [args] }, acceptStatus: (s) => s === 400 });
      const results = Array.isArray(res.body) ? (res.body as ActionResult[]) : undefined;
      const first = results?.[0];
      if (!first || typeof first !== 'object' || !('isSuccess' in first)) {
        if (res.status >= 400) {
          const items = Array.isArray(res.body) ? (res.body as { errorCode?: string; message?: string }[]) : [];
          throw new OrgApiError(res.status, items.map((e) => ({ errorCode: String(e.errorCode ?? `ERROR_HTTP_${res.status}`), message: String(e.message ?? '') })));
        }
        throw new OrgApiError(502, [{ errorCode: 'UNEXPECTED_RESPONSE', message: `The ${action.name} action returned no result` }]);
      }
      if (!first.isSuccess) {
        const errors = first.errors?.length ? first.errors : [{ statusCode: 'UNKNOWN_EXCEPTION', message: 'The action failed without a message' }];
        throw new OrgApiError(
          res.status,
          errors.map((e) => ({ errorCode: String(e.statusCode ?? e.errorCode ?? 'UNKNOWN_EXCEPTION'), message: String(e.message ?? ''), ...(e.fields ? { fields: e.fields } : {}) })),
        );
      }
      return { ...(first.outputValues ?? {}) };
    },
  };
}
