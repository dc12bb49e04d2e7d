/**
 * Temporary Salesforce DX projects for metadata tests. `startLocalOrg` deploys the project's
 * force-app at start, so a "fresh" org for deploy tests is started on a copy whose force-app holds
 * only stub permission sets (config/local-org.json assigns them to the personas); the real
 * force-app is then deployed into it with the sf CLI.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from './sf.ts';

export const PERMISSION_SETS = ['ForceGate_MCP_Access', 'ForceGate_Agent_Read', 'ForceGate_Agent_Service', 'ForceGate_Event_Log_Viewer'];

export class TempProject {
  readonly dir = mkdtempSync(join(tmpdir(), 'forcegate-project-'));

  /** A project with sfdx-project.json, config/ and a force-app of stub permission sets only. */
  static minimal(): TempProject {
    const p = new TempProject();
    cpSync(join(repoRoot, 'sfdx-project.json'), join(p.dir, 'sfdx-project.json'));
    cpSync(join(repoRoot, 'config'), join(p.dir, 'config'), { recursive: true });
    for (const name of PERMISSION_SETS) {
      p.write(
        `force-app/main/default/permissionsets/${name}.permissionset-meta.xml`,
        `<?xml version="1.0" encoding="UTF-8"?>\n<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">\n    <label>${name}</label>\n</PermissionSet>\n`,
      );
    }
    return p;
  }

  /** Replaces force-app with the repository's. */
  useRealForceApp(): this {
    rmSync(join(this.dir, 'force-app'), { recursive: true, force: true });
    cpSync(join(repoRoot, 'force-app'), join(this.dir, 'force-app'), { recursive: true });
    return this;
  }

  path(relative: string): string {
    return join(this.dir, relative);
  }

  write(relative: string, content: string): void {
    mkdirSync(dirname(this.path(relative)), { recursive: true });
    writeFileSync(this.path(relative), content);
  }

  read(relative: string): string {
    return readFileSync(this.path(relative), 'utf8');
  }

  remove(relative: string): void {
    rmSync(this.path(relative), { recursive: true, force: true });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const APEX_META = `<?xml version="1.0" encoding="UTF-8"?>
<ApexClass xmlns="http://soap.sforce.com/2006/04/metadata">
    <apiVersion>65.0</apiVersion>
    <status>Active</status>
</ApexClass>
`;
