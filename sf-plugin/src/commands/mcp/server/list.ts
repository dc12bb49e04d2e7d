import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages, Org } from '@salesforce/core';
import { McpOrg } from '../../../shared/mcpOrg.js';
import { mcpBaseUrlFlag } from '../../../shared/flags.js';
import { defaultMcpBaseUrl } from '../../../shared/servers.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'mcp.server.list');

export type ServerListItem = {
  name: string;
  label: string;
  type: 'standard' | 'custom';
  active: boolean;
  toolCount: number;
  destructiveToolCount: number;
  url: string;
  developerName: string;
  accessId?: string;
  definitionId?: string;
};

export type ServerListResult = ServerListItem[];

export default class McpServerList extends SfCommand<ServerListResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    'mcp-base-url': mcpBaseUrlFlag,
  };

  public async run(): Promise<ServerListResult> {
    const { flags } = await this.parse(McpServerList);
    const org = flags['target-org'];
    const conn = org.getConnection(flags['api-version']);
    const mcp = new McpOrg(conn, org.getUsername() ?? '');
    const baseUrl = flags['mcp-base-url']?.toString() ?? defaultMcpBaseUrl(org.getField<string>(Org.Fields.INSTANCE_URL));

    const [servers, kind] = await Promise.all([mcp.servers(), mcp.orgKind()]);
    const result: ServerListResult = await Promise.all(
      servers.map(async (s) => {
        const tools = await mcp.toolSummaries(s);
        const item: ServerListItem = {
          name: s.name,
          label: s.label,
          type: s.type,
          active: s.active,
          toolCount: tools.length,
          destructiveToolCount: tools.filter((t) => t.destructive).length,
          url: McpOrg.url(baseUrl, s, kind),
          developerName: s.developerName,
        };
        if (s.accessId) item.accessId = s.accessId;
        if (s.definitionId) item.definitionId = s.definitionId;
        return item;
      }),
    );

    this.table({
      title: messages.getMessage('table.title', [org.getUsername() ?? '', kind.sandbox || kind.scratch ? messages.getMessage('kind.sandbox') : messages.getMessage('kind.production')]),
      data: result.map((r) => ({
        name: r.name,
        type: r.type,
        active: r.active ? messages.getMessage('yes') : messages.getMessage('no'),
        tools: r.destructiveToolCount ? `${r.toolCount} (${messages.getMessage('destructive', [r.destructiveToolCount])})` : String(r.toolCount),
        url: r.url,
      })),
      columns: [
        { key: 'name', name: messages.getMessage('column.name') },
        { key: 'type', name: messages.getMessage('column.type') },
        { key: 'active', name: messages.getMessage('column.active') },
        { key: 'tools', name: messages.getMessage('column.tools') },
        { key: 'url', name: messages.getMessage('column.url') },
      ],
    });
    return result;
  }
}
