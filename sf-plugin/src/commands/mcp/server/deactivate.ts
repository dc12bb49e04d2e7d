import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import { McpOrg } from '../../../shared/mcpOrg.js';
import { flip, selectServers, type ServerActivationItem } from '../../../shared/activation.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'mcp.server.deactivate');

export type ServerDeactivateResult = ServerActivationItem[];

export default class McpServerDeactivate extends SfCommand<ServerDeactivateResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    name: Flags.string({
      char: 'n',
      summary: messages.getMessage('flags.name.summary'),
      description: messages.getMessage('flags.name.description'),
      multiple: true,
      exactlyOne: ['name', 'all-custom'],
    }),
    'all-custom': Flags.boolean({
      summary: messages.getMessage('flags.all-custom.summary'),
      exactlyOne: ['name', 'all-custom'],
    }),
  };

  public async run(): Promise<ServerDeactivateResult> {
    const { flags } = await this.parse(McpServerDeactivate);
    const org = flags['target-org'];
    const mcp = new McpOrg(org.getConnection(flags['api-version']), org.getUsername() ?? '');

    const servers = await selectServers(mcp, flags.name, flags['all-custom']);
    if (servers.length === 0) {
      this.warn(messages.getMessage('warning.noCustomServers'));
      return [];
    }
    const result: ServerDeactivateResult = [];
    for (const server of servers) {
      const item = await flip(mcp, server, false, []);
      result.push(item);
      this.logSuccess(
        item.changed ? messages.getMessage('success.deactivated', [server.name]) : messages.getMessage('info.alreadyInactive', [server.name]),
      );
    }
    return result;
  }
}
