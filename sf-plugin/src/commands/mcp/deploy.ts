import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages, Org, SfError } from '@salesforce/core';
import { Duration } from '@salesforce/kit';
import {
  ComponentSet,
  MetadataApiDeploy,
  RequestStatus,
  type DeployResult as DeployResult_,
  type MetadataApiDeployStatus,
} from '@salesforce/source-deploy-retrieve';
import { McpOrg, type ServerState } from '../../shared/mcpOrg.js';
import { mcpBaseUrlFlag } from '../../shared/flags.js';
import { defaultMcpBaseUrl } from '../../shared/servers.js';
import { DeployProgress } from '../../shared/deployProgress.js';
import { definedServers, toDeployedComponents, type DeployedComponent, type DefinedTool } from '../../shared/deploy.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'mcp.deploy');

export type DeployedServer = {
  name: string;
  label: string;
  tools: DefinedTool[];
  /** The server exists in the org after the deploy (always false for a dry run of a new server). */
  inOrg: boolean;
  active: boolean;
  url: string;
};

export type DeployResult = {
  id: string;
  status: string;
  success: boolean;
  dryRun: boolean;
  numberComponentsTotal: number;
  numberComponentsDeployed: number;
  numberComponentErrors: number;
  files: DeployedComponent[];
  failures: DeployedComponent[];
  /** The MCP servers (McpServerDefinition) of the deployed source. */
  mcpServers: DeployedServer[];
  /** Names of every active server of the org (standard and custom) after the deploy. */
  activeServers: string[];
};

export default class McpDeploy extends SfCommand<DeployResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');
  public static readonly requiresProject = true;

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    'source-dir': Flags.string({
      char: 'd',
      summary: messages.getMessage('flags.source-dir.summary'),
      description: messages.getMessage('flags.source-dir.description'),
      multiple: true,
    }),
    'dry-run': Flags.boolean({
      summary: messages.getMessage('flags.dry-run.summary'),
    }),
    wait: Flags.duration({
      char: 'w',
      unit: 'minutes',
      defaultValue: 33,
      min: 1,
      summary: messages.getMessage('flags.wait.summary'),
    }),
    'test-level': Flags.option({
      char: 'l',
      summary: messages.getMessage('flags.test-level.summary'),
      description: messages.getMessage('flags.test-level.description'),
      options: ['NoTestRun', 'RunLocalTests', 'RunAllTestsInOrg'] as const,
    })(),
    'mcp-base-url': mcpBaseUrlFlag,
  };

  public async run(): Promise<DeployResult> {
    const { flags } = await this.parse(McpDeploy);
    const org = flags['target-org'];
    const username = org.getUsername() ?? '';
    const conn = org.getConnection(flags['api-version']);
    const dryRun = flags['dry-run'] ?? false;
    const project = this.project!;

    const paths = flags['source-dir']?.map((p) => resolve(p)) ?? project.getUniquePackageDirectories().map((p) => p.fullPath);
    const cs = ComponentSet.fromSource({ fsPaths: paths });
    const projectConfig = await project.resolveProjectConfig();
    if (typeof projectConfig.sourceApiVersion === 'string') cs.sourceApiVersion = projectConfig.sourceApiVersion;
    cs.apiVersion = conn.getApiVersion();
    if (cs.size === 0) throw messages.createError('error.NothingToDeploy', [paths.join(', ')]);

    const progress = new DeployProgress(this, dryRun);
    progress.start(username, cs.apiVersion, cs.size);
    let response: MetadataApiDeployStatus;
    let files: DeployedComponent[];
    try {
      const deploy = await cs.deploy({
        usernameOrConnection: conn,
        apiOptions: { checkOnly: dryRun, rollbackOnError: true, ...(flags['test-level'] ? { testLevel: flags['test-level'] } : {}) },
      });
      progress.submitted(deploy.id ?? '');
      const deadline = Date.now() + flags.wait.milliseconds;
      let operation = deploy;
      let result: DeployResult_ | undefined;
      for (let attempt = 0; !result; attempt++) {
        operation.onUpdate((status) => progress.update(status));
        try {
          result = await operation.pollStatus({ frequency: Duration.milliseconds(500), timeout: Duration.milliseconds(Math.max(1000, deadline - Date.now())) });
        } catch (error) {
          // a dropped connection while polling (ECONNRESET surfaces as "fetch failed"): the deploy goes on in
          // the org, so poll it again by its id, as "sf project deploy resume" would
          if (attempt >= 3 || !deploy.id || !/fetch failed|ECONNRESET|socket hang up/i.test(error instanceof Error ? error.message : '')) throw error;
          this.debug('resuming deploy %s after %s', deploy.id, error instanceof Error ? error.message : error);
          operation = new MetadataApiDeploy({ id: deploy.id, usernameOrConnection: conn, components: cs });
        }
      }
      response = result.response;
      files = toDeployedComponents(result.getFileResponses());
    } catch (error) {
      progress.abort();
      const message = error instanceof Error ? error.message : String(error);
      if (/timed out/i.test(message)) throw messages.createError('error.Timeout', [flags.wait.minutes], [username]);
      throw error instanceof SfError ? error : SfError.wrap(error as Error);
    }
    progress.finish(response, username);

    const success = response.success === true || String(response.success) === 'true';
    const failures = files.filter((f) => f.state === 'Failed');
    // components the org failed without a matching source file (e.g. a missing dependency)
    for (const f of [response.details?.componentFailures ?? []].flat()) {
      if (!failures.some((x) => x.type === f.componentType && x.fullName === f.fullName)) {
        failures.push({ type: f.componentType ?? '', fullName: f.fullName, state: 'Failed', problem: f.problem, problemType: f.problemType });
      }
    }
    const result: DeployResult = {
      id: response.id,
      status: String(response.status),
      success,
      dryRun,
      numberComponentsTotal: Number(response.numberComponentsTotal ?? 0),
      numberComponentsDeployed: Number(response.numberComponentsDeployed ?? 0),
      numberComponentErrors: Number(response.numberComponentErrors ?? 0),
      files,
      failures,
      mcpServers: [],
      activeServers: [],
    };

    if (!success) {
      process.exitCode = 1;
      this.printFailures(failures, response.status === RequestStatus.Canceled);
      return result;
    }

    this.logSuccess(messages.getMessage(dryRun ? 'success.dryRun' : 'success.deployed', [result.numberComponentsDeployed]));
    await this.addMcpServers(result, cs, new McpOrg(conn, username), flags['mcp-base-url']?.toString() ?? defaultMcpBaseUrl(org.getField<string>(Org.Fields.INSTANCE_URL)));
    return result;
  }

  private printFailures(failures: DeployedComponent[], canceled: boolean): void {
    this.log();
    this.log(messages.getMessage(canceled ? 'error.canceled' : 'error.failed', [failures.length]));
    if (failures.length === 0) return;
    this.table({
      title: messages.getMessage('table.failures', [failures.length]),
      data: failures.map((f) => ({
        type: f.type,
        name: f.fullName,
        problem: f.problem ?? '',
        location: f.lineNumber !== undefined ? `${f.lineNumber}:${f.columnNumber ?? 0}` : '',
        file: f.filePath ?? '',
      })),
      columns: [
        { key: 'type', name: messages.getMessage('column.type') },
        { key: 'name', name: messages.getMessage('column.name') },
        { key: 'problem', name: messages.getMessage('column.problem') },
        { key: 'location', name: messages.getMessage('column.location') },
        { key: 'file', name: messages.getMessage('column.file') },
      ],
    });
  }

  /** The servers the deploy defines, and the org's active servers; a problem here only warns. */
  private async addMcpServers(result: DeployResult, cs: ComponentSet, mcp: McpOrg, baseUrl: string): Promise<void> {
    const defined = await definedServers(cs);
    let orgServers: ServerState[] = [];
    let kind = { sandbox: false, scratch: false };
    try {
      [orgServers, kind] = await Promise.all([mcp.servers(), mcp.orgKind()]);
    } catch (error) {
      if (defined.length > 0) this.warn(messages.getMessage('warning.noServerState', [error instanceof Error ? error.message : String(error)]));
    }
    result.mcpServers = defined.map((d) => {
      const inOrg = orgServers.find((s) => s.type === 'custom' && s.name.toLowerCase() === d.name.toLowerCase());
      return {
        name: d.name,
        label: d.label,
        tools: d.tools,
        inOrg: Boolean(inOrg),
        active: inOrg?.active ?? false,
        url: McpOrg.url(baseUrl, inOrg ?? { name: d.name, label: d.label, type: 'custom', developerName: d.name, active: false }, kind),
      };
    });
    result.activeServers = orgServers.filter((s) => s.active).map((s) => s.name);

    if (defined.length === 0) {
      this.log(messages.getMessage('info.noServers'));
    } else {
      this.table({
        title: messages.getMessage('table.servers'),
        data: result.mcpServers.flatMap((s) =>
          s.tools.map((t, i) => ({
            server: i === 0 ? s.name : '',
            active: i === 0 ? (s.active ? messages.getMessage('yes') : messages.getMessage('no')) : '',
            tool: t.name,
            backing: `${t.backing.type}: ${t.backing.name}`,
            kind: t.readOnly ? 'read-only' : t.destructive ? 'destructive' : 'additive',
          })),
        ),
        columns: [
          { key: 'server', name: messages.getMessage('column.server') },
          { key: 'active', name: messages.getMessage('column.active') },
          { key: 'tool', name: messages.getMessage('column.tool') },
          { key: 'backing', name: messages.getMessage('column.backing') },
          { key: 'kind', name: messages.getMessage('column.kind') },
        ],
      });
    }
    this.log(
      result.activeServers.length > 0
        ? messages.getMessage('info.active', [result.activeServers.join(', ')])
        : messages.getMessage('info.noneActive'),
    );
    const inactive = result.mcpServers.filter((s) => s.inOrg && !s.active).map((s) => s.name);
    if (inactive.length > 0) this.log(messages.getMessage('info.activateHint', [inactive.join(' --name ')]));
  }
}
