/**
 * Reads a Salesforce DX project's source (the package directories of sfdx-project.json) into
 * metadata components. Only the layout rules the local org needs are encoded here: directory +
 * suffix → type, and the object/field nesting of decomposed CustomObjects.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

export interface SourceComponent {
  type: string;
  /** `Account`, `Account.Health_Score__c`, `ForceGate_Agent_Read`, … */
  fullName: string;
  /** Path relative to the project root (for error messages). */
  path: string;
  xml: string;
  /** Extra file content, e.g. the `.cls` body of an ApexClass. */
  body?: string;
}

/** Source suffix → metadata type (SDR's registry names). */
const SUFFIXES: [suffix: string, type: string][] = [
  ['.object-meta.xml', 'CustomObject'],
  ['.field-meta.xml', 'CustomField'],
  ['.permissionset-meta.xml', 'PermissionSet'],
  ['.profile-meta.xml', 'Profile'],
  ['.cls-meta.xml', 'ApexClass'],
  ['.flow-meta.xml', 'Flow'],
  ['.apiNamedQuery-meta.xml', 'ApiNamedQuery'],
  ['.mcpServerDefinition-meta.xml', 'McpServerDefinition'],
  ['.eca-meta.xml', 'ExternalClientApplication'],
  ['.ecaGlblOauth-meta.xml', 'ExtlClntAppGlobalOauthSettings'],
  ['.ecaOauth-meta.xml', 'ExtlClntAppOauthSettings'],
  ['.ecaPlcy-meta.xml', 'ExtlClntAppConfigurablePolicies'],
  ['.ecaOauthPlcy-meta.xml', 'ExtlClntAppOauthConfigurablePolicies'],
  ['.permissionsetgroup-meta.xml', 'PermissionSetGroup'],
  // Kept and retrievable, no effect on the local org (mdapi-types.ts `stored`).
  ['.flowDefinition-meta.xml', 'FlowDefinition'],
  ['.layout-meta.xml', 'Layout'],
  ['.tab-meta.xml', 'CustomTab'],
  ['.app-meta.xml', 'CustomApplication'],
];

export function packageDirectories(projectDir: string): string[] {
  const file = join(projectDir, 'sfdx-project.json');
  if (!existsSync(file)) return [];
  const project = JSON.parse(readFileSync(file, 'utf8')) as { packageDirectories?: { path: string }[] };
  return (project.packageDirectories ?? []).map((d) => join(projectDir, d.path)).filter((d) => existsSync(d));
}

export function readSourceTree(projectDir: string): SourceComponent[] {
  const components: SourceComponent[] = [];
  for (const dir of packageDirectories(projectDir)) walk(dir, (file) => {
    const entry = SUFFIXES.find(([suffix]) => file.endsWith(suffix));
    if (!entry) return;
    const [suffix, type] = entry;
    const name = basename(file).slice(0, -suffix.length);
    const xml = readFileSync(file, 'utf8');
    const component: SourceComponent = { type, fullName: name, path: relative(projectDir, file), xml };
    if (type === 'CustomField') {
      // objects/<Object>/fields/<Field>.field-meta.xml
      component.fullName = `${basename(dirname(dirname(file)))}.${name}`;
    }
    if (type === 'ApexClass') {
      const cls = file.slice(0, -'-meta.xml'.length);
      if (existsSync(cls)) component.body = readFileSync(cls, 'utf8');
    }
    components.push(component);
  });
  return components;
}

function walk(dir: string, visit: (file: string) => void): void {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, visit);
    else visit(full);
  }
}
