/**
 * The unmodified sf CLI deploying and retrieving metadata against a fresh local org: the org starts
 * on a copy of the project whose force-app holds only stub permission sets, then the real force-app
 * is deployed with `sf project deploy start --source-dir force-app` (SOAP Metadata API), validated
 * first (`--dry-run`), refused as a whole when one component is broken, retrieved back, and
 * deployed once more through the REST deploy (config `org-metadata-rest-deploy`).
 */
import { expect } from 'chai';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalOrg } from '../../../src/local-org.ts';
import { splitChildren } from '../../../src/metadata/xml-raw.ts';
import { parseMetadataXml } from '../../../src/metadata/xml.ts';
import { startLocalOrg } from '../../../src/local-org.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { tempDataDir } from '../../helpers/org.ts';
import { APEX_META, TempProject } from '../../helpers/project.ts';
import { SfCli } from '../../helpers/sf.ts';

interface FileResponse {
  fullName: string;
  type: string;
  state: string;
  filePath?: string;
  error?: string;
  lineNumber?: number;
  columnNumber?: number;
}

interface DeployJson {
  status: string;
  success: boolean;
  checkOnly: boolean;
  numberComponentErrors: number;
  numberComponentsDeployed: number;
  files: FileResponse[];
}

const CLASSES = 'force-app/main/default/classes';
const ESCALATE = 'force-app/main/default/flows/Escalate_Case.flow-meta.xml';

describe('sf CLI: project deploy and retrieve', function () {
  this.timeout(300_000);
  let local: LocalOrg;
  let project: TempProject;
  const sf = new SfCli();
  let adminToken: string;
  const dataDir = tempDataDir();

  const count = (type: string): number => (local.org.db.prepare('SELECT COUNT(*) AS n FROM _metadata WHERE type = ?').get(type) as { n: number }).n;
  const deploy = (args: string[] = []) => sf.run<DeployJson>(['project', 'deploy', 'start', '--source-dir', 'force-app', '--target-org', 'lo', '--json', ...args], {}, project.dir);

  before(async () => {
    project = TempProject.minimal();
    local = await startLocalOrg({ port: 0, dataDir, projectDir: project.dir });
    adminToken = await personaToken(local.url, 'admin@forcegate.local');
    const login = await sf.loginWithToken(local.url, adminToken, 'lo');
    expect(login.code, login.stderr + login.stdout).to.equal(0);
    project.useRealForceApp();
  });

  after(async () => {
    sf.dispose();
    await local?.close();
    project?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts without the project metadata', () => {
    expect(count('ApexClass')).to.equal(0);
    expect(count('McpServerDefinition')).to.equal(0);
    expect(local.org.schema.get('Account_Plan__c')).to.equal(undefined);
  });

  it('validates the whole force-app with --dry-run and applies nothing', async () => {
    const r = await deploy(['--dry-run']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.json!.result).to.include({ status: 'Succeeded', success: true, checkOnly: true, numberComponentErrors: 0 });
    expect(r.json!.result.files.some((f) => f.type === 'ApexClass' && f.state === 'Created')).to.equal(true);
    expect(count('ApexClass')).to.equal(0);
    expect(local.org.schema.get('Account_Plan__c')).to.equal(undefined);
  });

  it('fails the whole deploy when one class does not compile and one flow names a missing field, applying nothing', async () => {
    project.write(`${CLASSES}/Broken.cls`, 'public class Broken {\n    public void m() {\n        Integer i = 1\n        i++;\n    }\n}\n');
    project.write(`${CLASSES}/Broken.cls-meta.xml`, APEX_META);
    const flow = project.read(ESCALATE);
    project.write(ESCALATE, flow.replace('<field>Priority</field>', '<field>No_Such_Field__c</field>'));
    try {
      const r = await deploy();
      expect(r.code).to.equal(1);
      const result = r.json!.result;
      expect(result).to.include({ status: 'Failed', success: false, numberComponentErrors: 2 });
      const broken = result.files.find((f) => f.fullName === 'Broken')!;
      expect(broken).to.include({ type: 'ApexClass', state: 'Failed', lineNumber: 4, columnNumber: 9, error: "Missing ';' at 'i' (4:9)" });
      expect(broken.filePath!.endsWith('classes/Broken.cls')).to.equal(true);
      const escalate = result.files.find((f) => f.fullName === 'Escalate_Case')!;
      expect(escalate.state).to.equal('Failed');
      expect(escalate.error).to.contain('No_Such_Field__c');
      expect(escalate.error).to.contain('Case');
      expect(count('ApexClass')).to.equal(0);
      expect(count('Flow')).to.equal(0);
      expect(local.org.schema.get('Account_Plan__c')).to.equal(undefined);
    } finally {
      project.remove(`${CLASSES}/Broken.cls`);
      project.remove(`${CLASSES}/Broken.cls-meta.xml`);
      project.write(ESCALATE, flow);
    }
  });

  it('deploys force-app', async () => {
    const started = Date.now();
    const r = await deploy();
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const result = r.json!.result;
    expect(result).to.include({ status: 'Succeeded', success: true, checkOnly: false, numberComponentErrors: 0 });
    expect(result.files.filter((f) => f.state === 'Failed')).to.deep.equal([]);
    expect(result.files.find((f) => f.type === 'McpServerDefinition' && f.fullName === 'ForceGate_Read')?.state).to.equal('Created');
    // Stub permission sets are replaced by the real ones.
    expect(result.files.find((f) => f.type === 'PermissionSet' && f.fullName === 'ForceGate_Agent_Read')?.state).to.equal('Changed');
    expect(count('ApexClass')).to.be.greaterThan(5);
    expect(count('McpServerDefinition')).to.equal(2);
    expect(local.org.schema.field('Account_Plan__c', 'Status__c')).to.not.equal(undefined);
    const readPs = local.org.db.prepare("SELECT COUNT(*) AS n FROM ObjectPermissions op JOIN PermissionSet ps ON ps.Id = op.ParentId WHERE ps.Name = 'ForceGate_Agent_Read'").get() as { n: number };
    expect(readPs.n).to.be.greaterThan(3);
    console.log(`      (deploy of force-app through the sf CLI: ${Date.now() - started} ms)`);

    const rows = local.org.db.prepare("SELECT api_family, api_resource, status_code, user_name FROM _api_usage WHERE api_family = 'SOAP'").all() as { api_resource: string; status_code: number; user_name: string }[];
    expect(rows.map((x) => x.api_resource)).to.include.members(['deploy', 'checkDeployStatus']);
    expect(rows.every((x) => x.user_name === 'admin@forcegate.local' && x.status_code === 200)).to.equal(true);
  });

  it('reports an unchanged redeploy as unchanged', async () => {
    const r = await sf.run<DeployJson>(['project', 'deploy', 'start', '--metadata', 'ApexClass:AccountHealthSummary', '--target-org', 'lo', '--json'], {}, project.dir);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.json!.result.files.map((f) => f.state)).to.deep.equal(['Unchanged', 'Unchanged']);
  });

  it('retrieves what was deployed', async () => {
    const r = await sf.run(
      [
        'project', 'retrieve', 'start',
        '--metadata', 'ApexClass:AccountHealthSummary',
        '--metadata', 'CustomObject:Account_Plan__c',
        '--metadata', 'McpServerDefinition:ForceGate_Read',
        '--metadata', 'ExtlClntAppGlobalOauthSettings:ForceGate_Claude',
        '--output-dir', 'retrieved', '--target-org', 'lo', '--json',
      ],
      {},
      project.dir,
    );
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const out = (p: string) => readFileSync(join(project.dir, 'retrieved', p), 'utf8');
    const src = (p: string) => readFileSync(join(project.dir, 'force-app/main/default', p), 'utf8');
    expect(out('classes/AccountHealthSummary.cls')).to.equal(src('classes/AccountHealthSummary.cls'));
    const same = (a: string, b: string) => expect(parseMetadataXml(a).body).to.deep.equal(parseMetadataXml(b).body);
    same(out('classes/AccountHealthSummary.cls-meta.xml'), src('classes/AccountHealthSummary.cls-meta.xml'));
    same(out('mcpServerDefinitions/ForceGate_Read.mcpServerDefinition-meta.xml'), src('mcpServerDefinitions/ForceGate_Read.mcpServerDefinition-meta.xml'));
    same(out('objects/Account_Plan__c/Account_Plan__c.object-meta.xml'), src('objects/Account_Plan__c/Account_Plan__c.object-meta.xml'));
    for (const f of ['Status__c', 'Account__c', 'Target_Revenue__c', 'Plan_Start__c']) {
      same(out(`objects/Account_Plan__c/fields/${f}.field-meta.xml`), src(`objects/Account_Plan__c/fields/${f}.field-meta.xml`));
    }
    // The org fills in the consumer key it generated.
    const oauth = splitChildren(out('extlClntAppGlobalOauthSets/ForceGate_Claude.ecaGlblOauth-meta.xml'));
    expect(oauth.children.find((c) => c.name === 'consumerKey')?.inner).to.equal(local.org.config.clients.ForceGate_Claude!.consumerKey);
    expect(existsSync(join(project.dir, 'retrieved', 'package.xml'))).to.equal(false);
  });

  it('deploys through the REST Metadata API (org-metadata-rest-deploy)', async () => {
    project.write(`${CLASSES}/RestDeployed.cls`, 'public with sharing class RestDeployed {\n    public static String hello() { return \'hi\'; }\n}\n');
    project.write(`${CLASSES}/RestDeployed.cls-meta.xml`, APEX_META);
    try {
      const r = await sf.run<DeployJson>(['project', 'deploy', 'start', '--metadata', 'ApexClass:RestDeployed', '--target-org', 'lo', '--json'], { SF_ORG_METADATA_REST_DEPLOY: 'true' }, project.dir);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.json!.result.files.map((f) => f.state)).to.deep.equal(['Created', 'Created']);
      expect(local.org.db.prepare("SELECT Name FROM ApexClass WHERE Name = 'RestDeployed'").get()).to.deep.equal({ Name: 'RestDeployed' });
      const rows = local.org.db.prepare("SELECT http_method, status_code FROM _api_usage WHERE api_resource LIKE '/metadata/deployRequest%'").all();
      expect(rows).to.deep.include({ http_method: 'POST', status_code: 201 });
    } finally {
      project.remove(`${CLASSES}/RestDeployed.cls`);
      project.remove(`${CLASSES}/RestDeployed.cls-meta.xml`);
    }
  });

  it('answers SOAP faults for a bad session and for a user without Modify Metadata', async () => {
    const call = (token: string) =>
      fetch(`${local.url}/services/Soap/m/65.0`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml', SOAPAction: '""' },
        body: `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header xmlns="http://soap.sforce.com/2006/04/metadata"><SessionHeader><sessionId>${token}</sessionId></SessionHeader></soapenv:Header><soapenv:Body xmlns="http://soap.sforce.com/2006/04/metadata"><describeMetadata><asOfVersion>65.0</asOfVersion></describeMetadata></soapenv:Body></soapenv:Envelope>`,
      });
    const bad = await call('00D000000000000!nope');
    expect(bad.status).to.equal(500);
    expect(await bad.text()).to.match(/<faultcode>sf:INVALID_SESSION_ID<\/faultcode>/);
    const rep = await call(await personaToken(local.url, 'rep@forcegate.local'));
    expect(rep.status).to.equal(500);
    expect(await rep.text()).to.contain('INSUFFICIENT_ACCESS: use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permission');
    const ok = await call(adminToken);
    expect(ok.status).to.equal(200);
    const text = await ok.text();
    expect(text).to.contain('<xmlName>McpServerDefinition</xmlName>');
    expect(text).to.contain('<directoryName>apiNamedQueries</directoryName>');
  });
});
