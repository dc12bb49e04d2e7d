import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import { McpOrg } from '../../../shared/mcpOrg.js';
import { flip, selectServers, skipped, type ServerActivationItem } from '../../../shared/activation.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'mcp.server.activate');

export type ServerActivateResult = ServerActivationItem[];

export default class McpServerActivate extends SfCommand<ServerActivateResult> {
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
    'no-prompt': Flags.boolean({
      char: 'p',
      summary: messages.getMessage('flags.no-prompt.summary'),
    }),
  };

  public async run(): Promise<ServerActivateResult> {
    const { flags } = await this.parse(McpServerActivate);
    const org = flags['target-org'];
    const mcp = new McpOrg(org.getConnection(flags['api-version']), org.getUsername() ?? '');

    const servers = await selectServers(mcp, flags.name, flags['all-custom']);
    if (servers.length === 0) {
      this.warn(messages.getMessage('warning.noCustomServers'));
      return [];
    }
    const result: ServerActivateResult = [];
    for (const server of servers) {
      const destructive = (await mcp.toolSummaries(server)).filter((t) => t.destructive).map((t) => t.name);
      if (!server.active && destructive.length > 0 && !flags['no-prompt']) {
        const yes = await this.confirm({
          message: messages.getMessage('prompt.destructive', [server.name, destructive.length, destructive.join(', ')]),
        });
        if (!yes) {
          this.log(messages.getMessage('info.skipped', [server.name]));
          result.push(skipped(server, destructive));
          continue;
        }
      }
      const item = await flip(mcp, server, true, destructive);
      result.push(item);
      this.logSuccess(
        item.changed
          ? messages.getMessage(item.created ? 'success.created' : 'success.activated', [server.name])
          : messages.getMessage('info.alreadyActive', [server.name]),
      );
    }
    if (result.some((r) => r.changed)) this.log(messages.getMessage('info.propagation'));
    return result;
  }
}
