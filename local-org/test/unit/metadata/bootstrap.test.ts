/**
 * Start-up deploys the project's force-app through the same validate + apply path as a Metadata
 * API deploy: a broken component stops the org with the platform's component failure, and a
 * restart on the same data directory changes nothing that did not change.
 */
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { startLocalOrg } from '../../../src/local-org.ts';
import { DeployFailedError } from '../../../src/metadata/deploy.ts';
import { tempDataDir } from '../../helpers/org.ts';
import { APEX_META, TempProject } from '../../helpers/project.ts';

describe('metadata: force-app at start-up', function () {
  this.timeout(120_000);
  const projects: TempProject[] = [];
  after(() => projects.forEach((p) => p.dispose()));

  it('refuses to start on a force-app that would not deploy', async () => {
    const project = TempProject.minimal();
    projects.push(project);
    project.write('force-app/main/default/classes/Broken.cls', 'public class Broken {\n    void m() { Integer i = 1 }\n}\n');
    project.write('force-app/main/default/classes/Broken.cls-meta.xml', APEX_META);
    let error: unknown;
    await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: project.dir }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(DeployFailedError);
    const problems = (error as DeployFailedError).problems;
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include({ componentType: 'ApexClass', fullName: 'Broken', fileName: 'force-app/main/default/classes/Broken.cls', lineNumber: 2 });
    expect((error as Error).message).to.contain('force-app/main/default/classes/Broken.cls:2:');
  });

  it('keeps Ids and LastModifiedDate of unchanged components across a restart', async () => {
    const project = TempProject.minimal();
    projects.push(project);
    project.write('force-app/main/default/classes/Hello.cls', 'public class Hello {}\n');
    project.write('force-app/main/default/classes/Hello.cls-meta.xml', APEX_META);
    const dataDir = tempDataDir();
    try {
      const first = await startLocalOrg({ port: 0, dataDir, projectDir: project.dir });
      const before = first.org.db.prepare("SELECT Id, LastModifiedDate FROM ApexClass WHERE Name = 'Hello'").get();
      await first.close();
      const second = await startLocalOrg({ port: 0, dataDir, projectDir: project.dir });
      expect(second.org.db.prepare("SELECT Id, LastModifiedDate FROM ApexClass WHERE Name = 'Hello'").get()).to.deep.equal(before);
      await second.close();
      project.write('force-app/main/default/classes/Hello.cls', 'public class Hello { }\n');
      const third = await startLocalOrg({ port: 0, dataDir, projectDir: project.dir });
      const after = third.org.db.prepare("SELECT Id, LastModifiedDate, Body FROM ApexClass WHERE Name = 'Hello'").get() as { Id: string; LastModifiedDate: string; Body: string };
      expect(after.Id).to.equal((before as { Id: string }).Id);
      expect(after.Body).to.equal('public class Hello { }\n');
      expect(after.LastModifiedDate > (before as { LastModifiedDate: string }).LastModifiedDate).to.equal(true);
      await third.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
