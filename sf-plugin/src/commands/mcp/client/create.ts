import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages, SfError } from '@salesforce/core';
import { PRESETS, checkApiName, checkCallbackUrl, ecaFiles, type ClientPreset } from '../../../shared/eca.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'mcp.client.create');

export type ClientCreateResult = {
  name: string;
  label: string;
  preset?: string;
  callbackUrls: string[];
  permissionSet: string;
  scopes: string[];
  refreshTokenDays: number;
  /** Folder the files were written into (a package's main/default folder by default). */
  outputDir: string;
  /** Absolute paths of the files written. */
  files: string[];
};

export default class McpClientCreate extends SfCommand<ClientCreateResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');
  public static readonly requiresProject = true;

  public static readonly flags = {
    name: Flags.string({
      char: 'n',
      summary: messages.getMessage('flags.name.summary'),
      required: true,
    }),
    'callback-url': Flags.string({
      char: 'c',
      summary: messages.getMessage('flags.callback-url.summary'),
      description: messages.getMessage('flags.callback-url.description'),
      multiple: true,
    }),
    'permission-set': Flags.string({
      summary: messages.getMessage('flags.permission-set.summary'),
      description: messages.getMessage('flags.permission-set.description'),
      required: true,
    }),
    preset: Flags.option({
      summary: messages.getMessage('flags.preset.summary'),
      description: messages.getMessage('flags.preset.description'),
      options: ['claude', 'cursor', 'chatgpt', 'inspector'] as const,
    })(),
    label: Flags.string({
      summary: messages.getMessage('flags.label.summary'),
    }),
    'contact-email': Flags.string({
      summary: messages.getMessage('flags.contact-email.summary'),
      default: 'admin@example.com',
    }),
    'output-dir': Flags.directory({
      char: 'd',
      summary: messages.getMessage('flags.output-dir.summary'),
    }),
  };

  public async run(): Promise<ClientCreateResult> {
    const { flags } = await this.parse(McpClientCreate);
    const name = flags.name;
    const nameProblem = checkApiName(name);
    if (nameProblem) throw messages.createError('error.InvalidName', [name, nameProblem]);

    const preset = flags.preset as ClientPreset | undefined;
    const callbackUrls = [...new Set([...(preset ? PRESETS[preset].callbackUrls : []), ...(flags['callback-url'] ?? [])])];
    if (callbackUrls.length === 0) throw messages.createError('error.NoCallbackUrl');
    for (const url of callbackUrls) {
      const problem = checkCallbackUrl(url);
      if (problem) throw messages.createError('error.InvalidCallbackUrl', [url, problem]);
    }
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(flags['permission-set'])) {
      throw messages.createError('error.InvalidPermissionSet', [flags['permission-set']]);
    }
    if (!/^[^@\s]+@[^@\s]+$/.test(flags['contact-email'])) {
      throw messages.createError('error.InvalidEmail', [flags['contact-email']]);
    }

    const project = this.project!;
    const outputDir = resolve(flags['output-dir'] ?? join(project.getDefaultPackage().fullPath, 'main', 'default'));
    const label = flags.label ?? (preset ? `${PRESETS[preset].label} MCP Client` : name.replace(/_/g, ' '));
    const spec = {
      name,
      label,
      description: messages.getMessage('eca.description', [preset ? PRESETS[preset].label : label, flags['permission-set']]),
      contactEmail: flags['contact-email'],
      callbackUrls,
      permissionSet: flags['permission-set'],
      refreshTokenDays: preset ? PRESETS[preset].refreshTokenDays : 30,
    };
    const files = ecaFiles(spec).map((f) => ({ ...f, absolute: join(outputDir, f.path) }));
    const existing = files.filter((f) => existsSync(f.absolute));
    if (existing.length > 0) {
      throw messages.createError('error.Exists', [name, existing.map((f) => relative(process.cwd(), f.absolute)).join(', ')]);
    }

    if (!(await this.permissionSetInProject(project.getUniquePackageDirectories().map((p) => p.fullPath), flags['permission-set']))) {
      this.warn(messages.getMessage('warning.permissionSetNotInProject', [flags['permission-set']]));
    }

    try {
      for (const f of files) {
        await mkdir(dirname(f.absolute), { recursive: true });
        await writeFile(f.absolute, f.content, { flag: 'wx' });
      }
    } catch (error) {
      throw SfError.wrap(error as Error);
    }

    const result: ClientCreateResult = {
      name,
      label,
      callbackUrls,
      permissionSet: flags['permission-set'],
      scopes: ['mcp_api', 'refresh_token'],
      refreshTokenDays: spec.refreshTokenDays,
      outputDir,
      files: files.map((f) => f.absolute),
    };
    if (preset) result.preset = preset;

    this.logSuccess(messages.getMessage('success', [name, relative(process.cwd(), outputDir) || '.']));
    this.table({
      data: files.map((f) => ({ type: f.type, path: relative(process.cwd(), f.absolute) })),
      columns: [
        { key: 'type', name: messages.getMessage('column.type') },
        { key: 'path', name: messages.getMessage('column.path') },
      ],
    });
    this.log(messages.getMessage('info.next', [name]));
    return result;
  }

  private async permissionSetInProject(packageDirs: string[], permissionSet: string): Promise<boolean> {
    const wanted = `${permissionSet}.permissionset-meta.xml`.toLowerCase();
    const walk = async (dir: string, depth: number): Promise<boolean> => {
      if (depth > 8) return false;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return false;
      }
      for (const e of entries) {
        if (e.isFile() && e.name.toLowerCase() === wanted) return true;
      }
      for (const e of entries) {
        if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && (await walk(join(dir, e.name), depth + 1))) return true;
      }
      return false;
    };
    for (const dir of packageDirs) {
      if (await walk(dir, 0)) return true;
    }
    return false;
  }
}
