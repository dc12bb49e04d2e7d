import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { MockTestOrgData, TestContext } from '@salesforce/core/testSetup';
import { MetadataApiDeploy, RequestStatus, type MetadataApiDeployStatus } from '@salesforce/source-deploy-retrieve';
import McpDeploy from '../../../../src/commands/mcp/deploy.js';
import { FakeOrg } from '../../helpers/fakeOrg.js';
import { stubOutput } from '../../helpers/ux.js';

const SERVER_XML = `<?xml version="1.0" encoding="UTF-8"?>
<McpServerDefinition xmlns="http://soap.sforce.com/2006/04/metadata">
    <description>Demo</description>
    <masterLabel>Demo Server</masterLabel>
    <tools>
        <apiDefinition>
            <apiIdentifier>aa:apex-Hello</apiIdentifier>
            <apiSource>API_CATALOG</apiSource>
            <operation>Hello</operation>
        </apiDefinition>
        <destructive>false</destructive>
        <idempotent>true</idempotent>
        <openWorld>false</openWorld>
        <readOnly>true</readOnly>
        <returnDirect>false</returnDirect>
        <toolName>say_hello</toolName>
        <toolTitle>Say Hello</toolTitle>
    </tools>
</McpServerDefinition>
`;

type Stubbable = { pre(): Promise<{ id: string }>; checkStatus(): Promise<MetadataApiDeployStatus> };

function status(overrides: Partial<MetadataApiDeployStatus>): MetadataApiDeployStatus {
  return {
    id: '0Af000000000001AAA',
    status: RequestStatus.InProgress,
    done: false,
    success: false,
    checkOnly: false,
    numberComponentsTotal: 2,
    numberComponentsDeployed: 0,
    numberComponentErrors: 0,
    numberTestsTotal: 0,
    numberTestsCompleted: 0,
    numberTestErrors: 0,
    createdDate: '',
    createdBy: '',
    createdByName: '',
    ignoreWarnings: false,
    lastModifiedDate: '',
    rollbackOnError: true,
    runTestsEnabled: false,
    startDate: '',
    completedDate: '',
    details: {},
    ...overrides,
  } as MetadataApiDeployStatus;
}

describe('mcp deploy', () => {
  const $$ = new TestContext();
  const testOrg = new MockTestOrgData();
  let fake: FakeOrg;
  let projectDir: string;
  let ux: ReturnType<typeof stubOutput>;
  let statuses: Array<MetadataApiDeployStatus | Error>;
  let deployOptions: unknown[];

  beforeEach(async () => {
    await $$.stubAuths(testOrg);
    fake = new FakeOrg();
    $$.fakeConnectionRequest = fake.handler();
    ux = stubOutput($$.SANDBOX);

    projectDir = await $$.localPathRetriever($$.id);
    rmSync(projectDir, { recursive: true, force: true });
    const base = join(projectDir, 'force-app', 'main', 'default');
    mkdirSync(join(base, 'classes'), { recursive: true });
    mkdirSync(join(base, 'mcpServerDefinitions'), { recursive: true });
    writeFileSync(join(base, 'classes', 'Hello.cls'), 'global with sharing class Hello {}\n');
    writeFileSync(
      join(base, 'classes', 'Hello.cls-meta.xml'),
      '<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/2006/04/metadata"><apiVersion>65.0</apiVersion><status>Active</status></ApexClass>\n',
    );
    writeFileSync(join(base, 'mcpServerDefinitions', 'Demo.mcpServerDefinition-meta.xml'), SERVER_XML);
    $$.setConfigStubContents('SfProjectJson', { contents: { packageDirectories: [{ path: 'force-app', default: true }], sourceApiVersion: '65.0' } });

    deployOptions = [];
    $$.SANDBOX.stub(MetadataApiDeploy.prototype as unknown as Stubbable, 'pre').callsFake(async function (this: { options: unknown }) {
      deployOptions.push(this.options);
      return { id: '0Af000000000001AAA' };
    });
    $$.SANDBOX.stub(MetadataApiDeploy.prototype as unknown as Stubbable, 'checkStatus').callsFake(async () => {
      const next = statuses.shift()!;
      if (next instanceof Error) throw next;
      return next;
    });
  });

  afterEach(() => {
    $$.restore();
    rmSync(projectDir, { recursive: true, force: true });
  });

  it('deploys the package directories, shows progress and lists the servers the deploy defines', async () => {
    const def = fake.addCustomServer('Demo', [{ name: 'say_hello', readOnly: true }]);
    fake.access.push({ Id: '0Ma000000000001AAA', DeveloperName: 'platform_sobject_reads', MasterLabel: 'sobject-reads', Active: true, McpServerId: null });
    statuses = [
      status({ status: RequestStatus.InProgress, numberComponentsDeployed: 1 }),
      status({
        status: RequestStatus.Succeeded,
        done: true,
        success: true,
        numberComponentsDeployed: 2,
        details: {
          componentSuccesses: [
            { componentType: 'ApexClass', fullName: 'Hello', fileName: 'classes/Hello.cls', created: 'true', changed: 'false', deleted: 'false', success: 'true', createdDate: '', problemType: 'Warning' } as never,
            { componentType: 'McpServerDefinition', fullName: 'Demo', fileName: 'mcpServerDefinitions/Demo.mcpServerDefinition', created: 'true', changed: 'false', deleted: 'false', success: 'true', createdDate: '' } as never,
          ],
        },
      }),
    ];

    const result = await McpDeploy.run(['--target-org', testOrg.username]);

    expect(result).to.include({ id: '0Af000000000001AAA', status: 'Succeeded', success: true, dryRun: false, numberComponentsTotal: 2, numberComponentsDeployed: 2 });
    expect(result.failures).to.deep.equal([]);
    expect(result.files.map((f) => `${f.type}:${f.fullName}:${f.state}`)).to.have.members(['ApexClass:Hello:Created', 'McpServerDefinition:Demo:Created']);
    expect(result.mcpServers).to.have.length(1);
    expect(result.mcpServers[0]).to.deep.include({ name: 'Demo', label: 'Demo Server', inOrg: true, active: false, url: 'https://api.salesforce.com/platform/mcp/v1/custom/Demo' });
    expect(result.mcpServers[0].tools[0]).to.deep.include({ name: 'say_hello', title: 'Say Hello', readOnly: true, destructive: false, backing: { type: 'apex', name: 'Hello', identifier: 'aa:apex-Hello' } });
    expect(result.activeServers).to.deep.equal(['sobject-reads']);
    expect(def.Id).to.be.a('string');
    expect(deployOptions[0]).to.deep.include({ apiOptions: { checkOnly: false, rollbackOnError: true, rest: false, singlePackage: true, ignoreWarnings: false } });
    // progress display: header, spinner stages and a component bar
    expect(ux.styledHeader.firstCall.args[0]).to.equal('Deploying Metadata');
    expect(ux.spinner.start.args.map((a) => a[0])).to.deep.equal(['Preparing', 'Waiting for the org to respond']);
    expect(ux.progress.start.firstCall.args[0]).to.equal(2);
    expect(ux.log.args.flat().join('\n')).to.include('Status: Succeeded').and.include('Active servers in the org: sobject-reads.');
    expect(ux.table.lastCall.args[0].data[0]).to.include({ server: 'Demo', tool: 'say_hello', kind: 'read-only' });
    expect(process.exitCode ?? 0).to.equal(0);
  });

  it('lists failed components with their problems and exits with 1', async () => {
    statuses = [
      status({
        status: RequestStatus.Failed,
        done: true,
        success: false,
        numberComponentsDeployed: 1,
        numberComponentErrors: 1,
        details: {
          componentFailures: [
            { componentType: 'ApexClass', fullName: 'Hello', fileName: 'classes/Hello.cls', problem: 'Unexpected token', problemType: 'Error', lineNumber: '3', columnNumber: '7', success: 'false', created: 'false', changed: 'false', deleted: 'false', createdDate: '' } as never,
          ],
        },
      }),
    ];
    try {
      const result = await McpDeploy.run(['--target-org', testOrg.username, '--source-dir', join(projectDir, 'force-app', 'main', 'default', 'classes'), '--dry-run']);
      expect(result).to.include({ success: false, status: 'Failed', dryRun: true });
      expect(result.failures).to.have.length(1);
      expect(result.failures[0]).to.include({ type: 'ApexClass', fullName: 'Hello', state: 'Failed', problemType: 'Error', lineNumber: 3, columnNumber: 7 });
      expect(result.failures[0].problem).to.match(/^Unexpected token/);
      expect(result.failures[0].filePath).to.match(/Hello\.cls/);
      expect(process.exitCode).to.equal(1);
      expect(result.mcpServers).to.deep.equal([]);
      expect(deployOptions[0]).to.deep.include({ apiOptions: { checkOnly: true, rollbackOnError: true, rest: false, singlePackage: true, ignoreWarnings: false } });
      expect(ux.table.firstCall.args[0].title).to.equal('Component Failures [1]');
      expect(ux.table.firstCall.args[0].data[0]).to.include({ type: 'ApexClass', name: 'Hello', location: '3:7' });
    } finally {
      process.exitCode = 0;
    }
  });

  it('resumes polling by deploy id when the connection drops', async () => {
    statuses = [
      status({ status: RequestStatus.InProgress }),
      new TypeError('fetch failed'),
      status({ status: RequestStatus.Succeeded, done: true, success: true, numberComponentsDeployed: 2 }),
    ];
    const result = await McpDeploy.run(['--target-org', testOrg.username, '--json']);
    expect(result).to.include({ status: 'Succeeded', success: true, id: '0Af000000000001AAA' });
    expect(statuses).to.have.length(0);
  });

  it('fails with an action hint when the source path has nothing to deploy', async () => {
    const empty = join(projectDir, 'force-app', 'empty');
    mkdirSync(empty, { recursive: true });
    try {
      await McpDeploy.run(['--target-org', testOrg.username, '--source-dir', empty]);
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as { name: string }).name).to.equal('NothingToDeployError');
    }
  });
});
