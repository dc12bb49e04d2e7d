import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages, Org } from '@salesforce/core';
import { McpOrg, type ToolInfo } from '../../../shared/mcpOrg.js';
import { mcpBaseUrlFlag } from '../../../shared/flags.js';
import { defaultMcpBaseUrl, type ToolAnnotations } from '../../../shared/servers.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'mcp.tool.list');

export type ToolListResult = {
  server: {
    name: string;
    type: 'standard' | 'custom';
    active: boolean;
    url: string;
  };
  /** The user the tools were resolved for (the target org's user). */
  username: string;
  tools: ToolInfo[];
};

export default class McpToolList extends SfCommand<ToolListResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    server: Flags.string({
      char: 's',
      summary: messages.getMessage('flags.server.summary'),
      required: true,
    }),
    'mcp-base-url': mcpBaseUrlFlag,
  };

  public async run(): Promise<ToolListResult> {
    const { flags } = await this.parse(McpToolList);
    const org = flags['target-org'];
    const username = org.getUsername() ?? '';
    const mcp = new McpOrg(org.getConnection(flags['api-version']), username);
    const baseUrl = flags['mcp-base-url']?.toString() ?? defaultMcpBaseUrl(org.getField<string>(Org.Fields.INSTANCE_URL));

    const [server] = await mcp.resolve([flags.server]);
    const [tools, kind] = await Promise.all([mcp.tools(server), mcp.orgKind()]);
    const result: ToolListResult = {
      server: { name: server.name, type: server.type, active: server.active, url: McpOrg.url(baseUrl, server, kind) },
      username,
      tools,
    };

    if (!server.active) this.warn(messages.getMessage('warning.inactive', [server.name, server.name]));
    const unavailable = tools.filter((t) => !t.available);
    if (unavailable.length > 0) {
      this.warn(messages.getMessage('warning.unavailable', [username, unavailable.map((t) => t.name).join(', ')]));
    }
    this.table({
      title: messages.getMessage('table.title', [server.name, username]),
      data: tools.map((t) => ({
        name: t.name,
        backing: `${t.backing.type}: ${t.backing.name}`,
        annotations: describeAnnotations(t.annotations),
        inputs: t.inputs.map((i) => `${i.name}${i.required ? '*' : ''}: ${i.type}`).join(', '),
        available: t.available ? messages.getMessage('yes') : messages.getMessage('no'),
      })),
      columns: [
        { key: 'name', name: messages.getMessage('column.name') },
        { key: 'backing', name: messages.getMessage('column.backing') },
        { key: 'annotations', name: messages.getMessage('column.annotations') },
        { key: 'inputs', name: messages.getMessage('column.inputs') },
        { key: 'available', name: messages.getMessage('column.available') },
      ],
    });
    return result;
  }
}

function describeAnnotations(a: ToolAnnotations): string {
  const parts: string[] = [];
  if (a.readOnlyHint) parts.push('read-only');
  else parts.push(a.destructiveHint === false ? 'additive' : 'destructive');
  if (a.idempotentHint) parts.push('idempotent');
  if (a.openWorldHint) parts.push('open-world');
  return parts.join(', ');
}
