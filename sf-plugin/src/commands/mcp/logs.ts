import { mkdir, writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import {
  API_CLIENT_CATEGORIES,
  DEFAULT_COLUMNS,
  checkRange,
  downloadLogFile,
  filterRows,
  findLogFiles,
  parseDay,
  summarize,
  toCsv,
  type UsageSummary,
} from '../../shared/eventLogs.js';
import { renderApiUsageReport } from '../../shared/usageReport.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'mcp.logs');

export type LogsResult = UsageSummary & {
  /** Absolute path of the CSV written. */
  outputFile: string;
  /** Absolute path of the HTML report written with --report. */
  reportFile?: string;
  startDate: string;
  endDate: string;
  categories: string[];
  /** Event log files downloaded. */
  logFiles: number;
  /** Rows read from the files before filtering. */
  rowsRead: number;
};

export default class McpLogs extends SfCommand<LogsResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    'start-date': Flags.string({
      summary: messages.getMessage('flags.start-date.summary'),
      required: true,
    }),
    'end-date': Flags.string({
      summary: messages.getMessage('flags.end-date.summary'),
      default: 'today',
    }),
    category: Flags.option({
      summary: messages.getMessage('flags.category.summary'),
      description: messages.getMessage('flags.category.description'),
      options: [...API_CLIENT_CATEGORIES, 'ALL'] as const,
      multiple: true,
      default: ['SALESFORCE_HOSTED_MCP'],
    })(),
    'output-dir': Flags.directory({
      char: 'd',
      summary: messages.getMessage('flags.output-dir.summary'),
      default: '.',
    }),
    report: Flags.boolean({
      summary: messages.getMessage('flags.report.summary'),
      description: messages.getMessage('flags.report.description'),
    }),
  };

  public async run(): Promise<LogsResult> {
    const { flags } = await this.parse(McpLogs);
    const start = parseDay('start-date', flags['start-date']);
    const end = parseDay('end-date', flags['end-date']);
    checkRange(start, end);
    const categories = flags.category.includes('ALL') ? ['ALL'] : [...new Set(flags.category)];
    const wanted = categories.includes('ALL') ? 'ALL' : new Set<string>(categories);

    const org = flags['target-org'];
    const username = org.getUsername() ?? '';
    const conn = org.getConnection(flags['api-version']);

    this.spinner.start(messages.getMessage('spinner.finding', [start, end]));
    const files = await findLogFiles(conn, username, start, end);
    this.spinner.stop(messages.getMessage('spinner.found', [files.length]));

    const columns: string[] = [];
    const rows: Array<Record<string, string>> = [];
    let rowsRead = 0;
    if (files.length > 0) {
      this.progress.start(files.length, {}, { title: messages.getMessage('progress.title'), format: '%s | {bar} | {value}/{total} files' });
      let done = 0;
      for (const file of files) {
        const csv = await downloadLogFile(conn, username, file.Id);
        const kept = filterRows(csv, wanted, start, end);
        for (const c of kept.columns) if (!columns.includes(c)) columns.push(c);
        rows.push(...kept.rows);
        rowsRead += kept.read;
        this.progress.update(++done);
      }
      this.progress.finish();
    } else {
      this.warn(messages.getMessage('warning.noFiles', [start, end]));
    }
    rows.sort((a, b) => (a.TIMESTAMP_DERIVED ?? a.TIMESTAMP ?? '').localeCompare(b.TIMESTAMP_DERIVED ?? b.TIMESTAMP ?? ''));

    const dir = resolve(flags['output-dir']);
    await mkdir(dir, { recursive: true });
    const label = categories.length === 1 ? categories[0] : categories.join('+');
    const outputFile = join(dir, `ApiTotalUsage-${label}-${start}-to-${end}.csv`);
    await writeFile(outputFile, toCsv(columns.length ? columns : DEFAULT_COLUMNS, rows));

    let reportFile: string | undefined;
    if (flags.report) {
      reportFile = join(dir, `ApiTotalUsage-${label}-${start}-to-${end}.html`);
      await writeFile(reportFile, renderApiUsageReport(rows, { title: messages.getMessage('report.title', [label, start, end]) }));
    }

    const summary = summarize(rows);
    const result: LogsResult = { outputFile, reportFile, startDate: start, endDate: end, categories, logFiles: files.length, rowsRead, ...summary };
    this.printSummary(result);
    return result;
  }

  private printSummary(r: LogsResult): void {
    this.logSuccess(messages.getMessage('success.written', [r.rows, r.categories.join(', '), r.outputFile]));
    if (r.reportFile) this.logSuccess(messages.getMessage('success.report', [r.reportFile]));
    if (r.rows === 0) return;
    this.log();
    this.table({
      title: messages.getMessage('table.byUser'),
      data: r.byUser,
      columns: [
        { key: 'user', name: messages.getMessage('column.user') },
        { key: 'calls', name: messages.getMessage('column.calls') },
        { key: 'errors', name: messages.getMessage('column.errors') },
      ],
    });
    this.table({
      title: messages.getMessage('table.byObject'),
      data: r.byObject,
      columns: [
        { key: 'object', name: messages.getMessage('column.object') },
        { key: 'calls', name: messages.getMessage('column.calls') },
        { key: 'errors', name: messages.getMessage('column.errors') },
      ],
    });
    this.table({
      title: messages.getMessage('table.byDay'),
      data: r.byDay,
      columns: [
        { key: 'day', name: messages.getMessage('column.day') },
        { key: 'calls', name: messages.getMessage('column.calls') },
        { key: 'errors', name: messages.getMessage('column.errors') },
      ],
    });
    if (r.byStatus.length > 0) {
      this.table({
        title: messages.getMessage('table.errors', [r.errors]),
        data: r.byStatus,
        columns: [
          { key: 'status', name: messages.getMessage('column.status') },
          { key: 'calls', name: messages.getMessage('column.calls') },
        ],
      });
    }
  }
}
