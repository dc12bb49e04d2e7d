/**
 * Flags used by several commands.
 */
import { Flags } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'shared');

/** Base URL of the MCP endpoint host; the default depends on the org (see defaultMcpBaseUrl). */
export const mcpBaseUrlFlag = Flags.url({
  summary: messages.getMessage('flags.mcp-base-url.summary'),
  description: messages.getMessage('flags.mcp-base-url.description'),
  env: 'SF_MCP_BASE_URL',
});
