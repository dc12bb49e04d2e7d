import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MockTestOrgData, TestContext } from '@salesforce/core/testSetup';
import McpLogs from '../../../../src/commands/mcp/logs.js';
import { parseCsv } from '../../../../src/shared/eventLogs.js';
import { FakeOrg, apiError, usageCsv } from '../../helpers/fakeOrg.js';
import { stubOutput } from '../../helpers/ux.js';

describe('mcp logs', () => {
  const $$ = new TestContext();
  const testOrg = new MockTestOrgData();
  let fake: FakeOrg;
  let ux: ReturnType<typeof stubOutput>;
  let dir: string;

  beforeEach(async () => {
    await $$.stubAuths(testOrg);
    fake = new FakeOrg();
    $$.fakeConnectionRequest = fake.handler();
    ux = stubOutput($$.SANDBOX);
    dir = mkdtempSync(join(tmpdir(), 'mcp-logs-'));
    fake.logFiles = [
      {
        Id: '0AT000000000001AAA',
        LogDate: '2026-05-01T00:00:00.000+0000',
        csv: usageCsv([
          { USER_NAME: 'rep@forcegate.local', ENTITY_NAME: 'Account', TIMESTAMP_DERIVED: '2026-05-01T09:00:00.000Z' },
          { USER_NAME: 'rep@forcegate.local', ENTITY_NAME: 'Case', STATUS_CODE: '403', TIMESTAMP_DERIVED: '2026-05-01T09:01:00.000Z' },
          { USER_NAME: 'admin@forcegate.local', ENTITY_NAME: 'Account', API_CLIENT_CATEGORY: 'EXTERNAL_APPLICATION', TIMESTAMP_DERIVED: '2026-05-01T09:02:00.000Z' },
        ]),
      },
      {
        Id: '0AT000000000002AAA',
        LogDate: '2026-05-02T00:00:00.000+0000',
        csv: usageCsv([
          { USER_NAME: 'auditor@forcegate.local', ENTITY_NAME: 'Opportunity', TIMESTAMP_DERIVED: '2026-05-02T10:00:00.000Z' },
          { USER_NAME: 'rep@forcegate.local', ENTITY_NAME: 'Account', STATUS_CODE: '400', API_RESOURCE: '/v65.0/query, "quoted"', TIMESTAMP_DERIVED: '2026-05-02T11:00:00.000Z' },
        ]),
      },
      { Id: '0AT000000000003AAA', LogDate: '2026-05-05T00:00:00.000+0000', csv: usageCsv([{ TIMESTAMP_DERIVED: '2026-05-05T10:00:00.000Z' }]) },
    ];
  });

  afterEach(() => {
    $$.restore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--report writes a self-contained HTML report with the three charts and the failed calls', async () => {
    const result = await McpLogs.run(['--target-org', testOrg.username, '--start-date', '2026-05-01', '--end-date', '2026-05-02', '--output-dir', dir, '--report']);
    expect(result.reportFile).to.equal(join(dir, 'ApiTotalUsage-SALESFORCE_HOSTED_MCP-2026-05-01-to-2026-05-02.html'));
    const html = readFileSync(result.reportFile!, 'utf8');
    expect(html).to.match(/^<!doctype html>/i);
    expect(html.match(/<svg\b[^>]*role="img"/g)).to.have.length(3);
    expect(html).to.include('rep@forcegate.local').and.include('Opportunity');
    // Self-contained: no script and nothing fetched from elsewhere.
    expect(html).to.not.match(/<script|\bsrc=|<link/i);
    // Values from the log are escaped, never markup.
    expect(html).to.include('/v65.0/query, &quot;quoted&quot;');
  });

  it('writes no report without --report', async () => {
    const result = await McpLogs.run(['--target-org', testOrg.username, '--start-date', '2026-05-01', '--end-date', '2026-05-02', '--output-dir', dir]);
    expect(result.reportFile).to.equal(undefined);
  });

  it('downloads the files of the range, keeps the MCP rows, writes one CSV and summarises it', async () => {
    const result = await McpLogs.run(['--target-org', testOrg.username, '--start-date', '2026-05-01', '--end-date', '2026-05-02', '--output-dir', dir]);

    expect(fake.seen('GET', '/LogFile').map((r) => r.url)).to.have.length(2);
    expect(result).to.include({ startDate: '2026-05-01', endDate: '2026-05-02', logFiles: 2, rowsRead: 5, rows: 4, errors: 2 });
    expect(result.categories).to.deep.equal(['SALESFORCE_HOSTED_MCP']);
    expect(result.byUser).to.deep.equal([
      { user: 'rep@forcegate.local', calls: 3, errors: 2 },
      { user: 'auditor@forcegate.local', calls: 1, errors: 0 },
    ]);
    expect(result.byObject).to.deep.equal([
      { object: 'Account', calls: 2, errors: 1 },
      { object: 'Case', calls: 1, errors: 1 },
      { object: 'Opportunity', calls: 1, errors: 0 },
    ]);
    expect(result.byDay).to.deep.equal([
      { day: '2026-05-01', calls: 2, errors: 1 },
      { day: '2026-05-02', calls: 2, errors: 1 },
    ]);
    expect(result.byStatus).to.deep.equal([
      { status: '400', calls: 1 },
      { status: '403', calls: 1 },
    ]);
    expect(result.outputFile).to.equal(join(dir, 'ApiTotalUsage-SALESFORCE_HOSTED_MCP-2026-05-01-to-2026-05-02.csv'));
    const rows = parseCsv(readFileSync(result.outputFile, 'utf8'));
    expect(rows[0]).to.include('API_CLIENT_CATEGORY').and.include('USER_NAME');
    expect(rows).to.have.length(5);
    const col = rows[0].indexOf('API_RESOURCE');
    expect(rows[4][col]).to.equal('/v65.0/query, "quoted"');
    expect(ux.table.callCount).to.equal(4);
  });

  it('keeps several categories, or every row with ALL', async () => {
    const two = await McpLogs.run(['--target-org', testOrg.username, '--start-date', '2026-05-01', '--end-date', '2026-05-01', '--category', 'SALESFORCE_HOSTED_MCP', '--category', 'EXTERNAL_APPLICATION', '--output-dir', dir]);
    expect(two.rows).to.equal(3);
    const all = await McpLogs.run(['--target-org', testOrg.username, '--start-date', '2026-05-01', '--end-date', '2026-05-31', '--category', 'ALL', '--output-dir', dir, '--json']);
    expect(all).to.include({ rows: 6, logFiles: 3 });
    expect(all.categories).to.deep.equal(['ALL']);
  });

  it('prefers a day\'s daily file over its hourly files', async () => {
    fake.logFiles.push({ Id: '0AT000000000004AAA', LogDate: '2026-05-01T00:00:00.000+0000', Interval: 'Hourly', csv: usageCsv([{ TIMESTAMP_DERIVED: '2026-05-01T09:00:00.000Z' }]) });
    const result = await McpLogs.run(['--target-org', testOrg.username, '--start-date', '2026-05-01', '--end-date', '2026-05-01', '--output-dir', dir]);
    expect(result.logFiles).to.equal(1);
  });

  it('writes a header-only CSV and warns when the range has no files', async () => {
    const result = await McpLogs.run(['--target-org', testOrg.username, '--start-date', '2026-04-01', '--end-date', '2026-04-02', '--output-dir', dir]);
    expect(result).to.include({ logFiles: 0, rows: 0 });
    expect(readFileSync(result.outputFile, 'utf8').trim().split('\n')).to.have.length(1);
    expect(ux.warn.args.flat().join('\n')).to.include('no ApiTotalUsage event log files');
  });

  it('rejects an empty date range with an action hint', async () => {
    try {
      await McpLogs.run(['--target-org', testOrg.username, '--start-date', '2026-05-03', '--end-date', '2026-05-01']);
      expect.fail('should have thrown');
    } catch (error) {
      const err = error as { name: string; actions?: string[] };
      expect(err.name).to.equal('EmptyDateRangeError');
      expect(err.actions?.[0]).to.include('--start-date');
    }
    expect(fake.seen('GET', 'EventLogFile')).to.have.length(0);
  });

  it('rejects a date that does not exist', async () => {
    try {
      await McpLogs.run(['--target-org', testOrg.username, '--start-date', '2026-02-30']);
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).name).to.equal('InvalidDateError');
    }
  });

  it('explains a missing View Event Log Files permission', async () => {
    fake.eventLogError = apiError('INVALID_TYPE', "sObject type 'EventLogFile' is not supported.");
    try {
      await McpLogs.run(['--target-org', testOrg.username, '--start-date', 'yesterday', '--output-dir', dir]);
      expect.fail('should have thrown');
    } catch (error) {
      const err = error as { name: string; actions?: string[] };
      expect(err.name).to.equal('NoEventLogAccessError');
      expect(err.actions?.join('\n')).to.include('View Event Log Files');
    }
  });
});
