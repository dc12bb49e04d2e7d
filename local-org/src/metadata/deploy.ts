/**
 * Metadata deploys and retrieves, independent of the wire protocol (SOAP and REST both call this).
 *
 * A deploy is asynchronous as on the platform: `startDeploy` returns an id (`0Af…`) at once and the
 * work runs right after the reply (unzip → read the package → validate every component → apply
 * everything in one SQLite transaction). `deployStatus` reports Pending / InProgress, then Succeeded
 * or Failed with `details.componentSuccesses` / `componentFailures`. Nothing of a failed deploy is
 * applied; `checkOnly` validates only. A deploy is all-or-nothing whatever `rollbackOnError` says
 * (the local org has no partial deploys).
 *
 * The project's force-app goes through the same validate + apply path at start-up (`deploySource`).
 */
import { newId } from '../ids.ts';
import type { OrgContext } from '../org/context.ts';
import type { ObjectDef } from '../schema/types.ts';
import { applyComponents, deleteComponents, sameContent, storedComponents, type AppliedComponent, type StoredComponent } from './apply.ts';
import {
  buildPackageXml,
  buildRetrieveFiles,
  readDeployPackage,
  type ComponentProblem,
  type DeployPackage,
  type PackageManifest,
} from './mdapi-format.ts';
import { componentFile, mdapiType, mdapiTypes } from './mdapi-types.ts';
import type { SourceComponent } from './source-tree.ts';
import { validateDeploy, type DeployComponent } from './validate.ts';
import { buildDocument, escapeXml, splitChildren } from './xml-raw.ts';
import { readZip, writeZip, ZipError } from './zip.ts';

export type DeployStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'SucceededPartial' | 'Failed' | 'Canceling' | 'Canceled';

export interface DeployOptions {
  checkOnly?: boolean;
  rollbackOnError?: boolean;
  ignoreWarnings?: boolean;
  singlePackage?: boolean;
  purgeOnDelete?: boolean;
  testLevel?: string;
  runTests?: string[];
}

export interface DeployMessage {
  changed: boolean;
  columnNumber?: number;
  componentType: string;
  created: boolean;
  createdDate: string;
  deleted: boolean;
  fileName: string;
  fullName: string;
  id?: string;
  lineNumber?: number;
  problem?: string;
  problemType?: 'Error' | 'Warning';
  success: boolean;
}

export interface DeployResultData {
  id: string;
  status: DeployStatus;
  done: boolean;
  success: boolean;
  checkOnly: boolean;
  ignoreWarnings: boolean;
  rollbackOnError: boolean;
  runTestsEnabled: boolean;
  createdBy: string;
  createdByName: string;
  createdDate: string;
  startDate?: string;
  lastModifiedDate: string;
  completedDate?: string;
  numberComponentErrors: number;
  numberComponentsDeployed: number;
  numberComponentsTotal: number;
  numberTestErrors: number;
  numberTestsCompleted: number;
  numberTestsTotal: number;
  stateDetail?: string;
  errorMessage?: string;
  errorStatusCode?: string;
  details: {
    componentSuccesses: DeployMessage[];
    componentFailures: DeployMessage[];
    runTestResult: { numFailures: number; numTestsRun: number; totalTime: number };
  };
}

export interface FileProperties {
  createdById: string;
  createdByName: string;
  createdDate: string;
  fileName: string;
  fullName: string;
  id: string;
  lastModifiedById: string;
  lastModifiedByName: string;
  lastModifiedDate: string;
  manageableState?: string;
  namespacePrefix?: string;
  type: string;
}

export interface RetrieveRequest {
  apiVersion?: string;
  unpackaged?: PackageManifest;
  singlePackage?: boolean;
  specificFiles?: string[];
  packageNames?: string[];
}

export interface RetrieveResultData {
  id: string;
  done: boolean;
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed';
  success: boolean;
  fileProperties: FileProperties[];
  messages: { fileName: string; problem: string }[];
  zipFile?: string;
  errorMessage?: string;
  errorStatusCode?: string;
}

export interface Caller {
  userId: string;
  name: string;
}

/** Thrown at start-up when the project's force-app does not validate. */
export class DeployFailedError extends Error {
  constructor(readonly problems: ComponentProblem[]) {
    super(
      `force-app does not deploy:\n${problems
        .filter((p) => p.problemType === 'Error')
        .map((p) => `  ${p.fileName}${p.lineNumber ? `:${p.lineNumber}:${p.columnNumber ?? 0}` : ''}  ${p.componentType} ${p.fullName}: ${p.problem}`)
        .join('\n')}`,
    );
  }
}

export interface DeployOutcome {
  problems: ComponentProblem[];
  applied: AppliedComponent[];
}

/**
 * Validates components and, when every one is valid and `checkOnly` is not set, applies them all
 * in one transaction (schema changes in memory are rolled back with it). Returns the problems
 * (errors mean nothing was applied) and what was (or, with checkOnly, would be) applied.
 */
export function deployComponents(
  org: OrgContext,
  components: DeployComponent[],
  actingUserId: string,
  options: { checkOnly?: boolean; deletions?: { type: string; fullName: string }[]; problems?: ComponentProblem[] } = {},
): DeployOutcome {
  const deletions = options.deletions ?? [];
  const problems = [...(options.problems ?? []), ...validateDeploy(org, { components, deletions })];
  if (problems.some((p) => p.problemType === 'Error')) return { problems, applied: [] };
  if (options.checkOnly) return { problems, applied: preview(org, components, deletions) };
  const snapshot = org.schema.objects().map((o) => structuredClone(o) as ObjectDef);
  try {
    const applied = org.db.transaction(() => [...applyComponents(org, components, actingUserId), ...deleteComponents(org, deletions, actingUserId)])();
    return { problems, applied };
  } catch (e) {
    org.schema.replaceAll(snapshot);
    org.access.invalidate();
    throw e;
  }
}

/** Start-up: the project's source goes through the deploy path; any error stops the org. */
export function deploySource(org: OrgContext, components: SourceComponent[], actingUserId: string): AppliedComponent[] {
  const outcome = deployComponents(org, components, actingUserId);
  if (outcome.problems.some((p) => p.problemType === 'Error')) throw new DeployFailedError(outcome.problems);
  return outcome.applied;
}

/** What applying would do, without applying (checkOnly). */
function preview(org: OrgContext, components: SourceComponent[], deletions: { type: string; fullName: string }[]): AppliedComponent[] {
  const find = org.db.prepare('SELECT id, xml, body FROM _metadata WHERE type = ? AND full_name = ? COLLATE NOCASE');
  const result: AppliedComponent[] = components.map((c) => {
    const prior = find.get(c.type, c.fullName) as { id: string; xml: string; body: string | null } | undefined;
    if (!prior) return { type: c.type, fullName: c.fullName, id: '', created: true, changed: false };
    return { type: c.type, fullName: c.fullName, id: prior.id, created: false, changed: !sameContent(prior.xml, prior.body ?? undefined, c.xml, c.body) };
  });
  for (const d of deletions) {
    const prior = find.get(d.type, d.fullName) as { id: string } | undefined;
    if (prior) result.push({ type: d.type, fullName: d.fullName, id: prior.id, created: false, changed: false, deleted: true });
  }
  return result;
}

const services = new WeakMap<OrgContext, MetadataService>();

/** The org's metadata service (one per org, shared by the SOAP and REST surfaces). */
export function metadataService(org: OrgContext): MetadataService {
  let s = services.get(org);
  if (!s) services.set(org, (s = new MetadataService(org)));
  return s;
}

const KEEP_JOBS = 200;

export class MetadataService {
  private readonly deploys = new Map<string, DeployResultData>();
  private readonly retrieves = new Map<string, RetrieveResultData>();
  /** Validated (checkOnly) packages that can be quick-deployed (deployRecentValidation). */
  private readonly validated = new Map<string, { pkg: DeployPackage; caller: Caller }>();

  constructor(private readonly org: OrgContext) {}

  startDeploy(zip: Buffer, options: DeployOptions, caller: Caller): DeployResultData {
    const result = this.newDeploy(options, caller);
    setImmediate(() => void this.runDeploy(result, zip, options, caller));
    return result;
  }

  /** Quick deploy of a successful checkOnly deploy. Undefined when there is no such validation. */
  deployRecentValidation(validationId: string, caller: Caller): DeployResultData | undefined {
    const v = this.validated.get(validationId);
    if (!v) return undefined;
    this.validated.delete(validationId);
    const result = this.newDeploy({}, caller);
    setImmediate(() => this.finishDeploy(result, v.pkg, {}, caller));
    return result;
  }

  deployStatus(id: string): DeployResultData | undefined {
    return this.deploys.get(id);
  }

  /** Deploys finish almost at once; a cancel of a running one is recorded but not honoured. */
  cancelDeploy(id: string): DeployResultData | undefined {
    return this.deploys.get(id);
  }

  private newDeploy(options: DeployOptions, caller: Caller): DeployResultData {
    const now = new Date().toISOString();
    const result: DeployResultData = {
      id: newId('0Af'),
      status: 'Pending',
      done: false,
      success: false,
      checkOnly: Boolean(options.checkOnly),
      ignoreWarnings: Boolean(options.ignoreWarnings),
      rollbackOnError: options.rollbackOnError ?? true,
      runTestsEnabled: false,
      createdBy: caller.userId,
      createdByName: caller.name,
      createdDate: now,
      lastModifiedDate: now,
      numberComponentErrors: 0,
      numberComponentsDeployed: 0,
      numberComponentsTotal: 0,
      numberTestErrors: 0,
      numberTestsCompleted: 0,
      numberTestsTotal: 0,
      details: { componentSuccesses: [], componentFailures: [], runTestResult: { numFailures: 0, numTestsRun: 0, totalTime: 0 } },
    };
    remember(this.deploys, result.id, result);
    return result;
  }

  private async runDeploy(result: DeployResultData, zip: Buffer, options: DeployOptions, caller: Caller): Promise<void> {
    result.status = 'InProgress';
    result.startDate = result.lastModifiedDate = new Date().toISOString();
    let pkg: DeployPackage;
    try {
      pkg = readDeployPackage(await readZip(zip));
    } catch (e) {
      this.failDeploy(result, e instanceof ZipError ? e.message : `Unexpected error: ${(e as Error).message}`);
      return;
    }
    this.finishDeploy(result, pkg, options, caller);
  }

  private failDeploy(result: DeployResultData, message: string): void {
    const now = new Date().toISOString();
    Object.assign(result, { status: 'Failed', done: true, success: false, errorMessage: message, errorStatusCode: 'UNKNOWN_EXCEPTION', completedDate: now, lastModifiedDate: now });
  }

  private finishDeploy(result: DeployResultData, pkg: DeployPackage, options: DeployOptions, caller: Caller): void {
    result.status = 'InProgress';
    result.startDate ??= new Date().toISOString();
    let outcome: DeployOutcome;
    try {
      outcome = deployComponents(this.org, pkg.components, caller.userId, { checkOnly: options.checkOnly, deletions: pkg.deletions, problems: pkg.problems });
    } catch (e) {
      console.error('[local-org] deploy failed:', e);
      this.failDeploy(result, `An unexpected error occurred while applying the deploy: ${(e as Error).message}`);
      return;
    }
    const now = new Date().toISOString();
    const fileNameOf = new Map(pkg.components.map((c) => [`${c.type}#${c.fullName.toLowerCase()}`, c.fileName]));
    const errors = outcome.problems.filter((p) => p.problemType === 'Error');
    const failures: DeployMessage[] = outcome.problems.map((p) => ({
      changed: false,
      componentType: p.componentType,
      created: false,
      createdDate: now,
      deleted: false,
      fileName: p.fileName,
      // Warnings about destructive changes name the manifest, as the platform's do.
      fullName: p.problemType === 'Warning' && p.fileName.endsWith('destructiveChanges.xml') ? 'destructiveChanges.xml' : p.fullName,
      problem: p.problem,
      problemType: p.problemType,
      success: false,
      ...(p.lineNumber ? { lineNumber: p.lineNumber, columnNumber: p.columnNumber ?? 0 } : {}),
    }));
    const successes: DeployMessage[] = errors.length
      ? []
      : outcome.applied.map((a) => ({
          changed: a.changed,
          componentType: a.type,
          created: a.created,
          createdDate: now,
          deleted: Boolean(a.deleted),
          fileName: a.deleted ? `${pkg.root}destructiveChanges.xml` : fileNameOf.get(`${a.type}#${a.fullName.toLowerCase()}`) ?? `${pkg.root}${componentFileName(a.type, a.fullName)}`,
          fullName: a.fullName,
          ...(a.id ? { id: a.id } : {}),
          success: true,
        }));
    if (!errors.length) {
      successes.push({ changed: true, componentType: '', created: false, createdDate: now, deleted: false, fileName: `${pkg.root}package.xml`, fullName: 'package.xml', success: true });
    }
    const total = new Set([...pkg.components.map((c) => `${c.type}#${c.fullName}`), ...errors.map((p) => `${p.componentType}#${p.fullName}`)]).size + pkg.deletions.length;
    Object.assign(result, {
      status: errors.length ? 'Failed' : 'Succeeded',
      done: true,
      success: errors.length === 0,
      completedDate: now,
      lastModifiedDate: now,
      numberComponentErrors: errors.length,
      numberComponentsDeployed: errors.length ? 0 : outcome.applied.length,
      numberComponentsTotal: total,
      details: { ...result.details, componentSuccesses: successes, componentFailures: failures },
    });
    if (options.checkOnly && !errors.length) remember(this.validated, result.id, { pkg, caller });
  }

  startRetrieve(request: RetrieveRequest, caller: Caller): RetrieveResultData {
    const result: RetrieveResultData = { id: newId('09S'), done: false, status: 'Pending', success: false, fileProperties: [], messages: [] };
    remember(this.retrieves, result.id, result);
    setImmediate(() => {
      result.status = 'InProgress';
      this.runRetrieve(result, request, caller).catch((e: unknown) => {
        console.error('[local-org] retrieve failed:', e);
        Object.assign(result, { status: 'Failed', done: true, success: false, errorMessage: (e as Error).message, errorStatusCode: 'UNKNOWN_EXCEPTION' });
      });
    });
    return result;
  }

  retrieveStatus(id: string): RetrieveResultData | undefined {
    return this.retrieves.get(id);
  }

  private async runRetrieve(result: RetrieveResultData, request: RetrieveRequest, caller: Caller): Promise<void> {
    const root = request.singlePackage ? '' : 'unpackaged/';
    const messages: { fileName: string; problem: string }[] = [];
    const manifest = request.unpackaged ?? { types: [] };
    const { components, resolved } = this.resolveRetrieve(manifest, messages, `${root}package.xml`);
    const files = buildRetrieveFiles(components.map((c) => this.forRetrieve(c)), (objectName) => this.synthesizedObject(objectName));
    const packageXml = buildPackageXml({ types: resolved, version: manifest.version ?? request.apiVersion });
    const zip = await writeZip([{ path: `${root}package.xml`, content: packageXml }, ...files.map((f) => ({ path: `${root}${f.path}`, content: f.content }))]);
    const names = this.userNames();
    const now = new Date().toISOString();
    const props: FileProperties[] = components.map((c) => this.fileProperties(c, root, names));
    props.push({
      createdById: caller.userId,
      createdByName: caller.name,
      createdDate: now,
      fileName: `${root}package.xml`,
      fullName: `${root}package.xml`,
      id: '',
      lastModifiedById: caller.userId,
      lastModifiedByName: caller.name,
      lastModifiedDate: now,
      manageableState: 'unmanaged',
      type: 'Package',
    });
    Object.assign(result, { status: 'Succeeded', done: true, success: true, fileProperties: props, messages, zipFile: zip.toString('base64') });
  }

  /** The stored components a retrieve manifest names, plus the manifest of what was found. */
  private resolveRetrieve(
    manifest: PackageManifest,
    messages: { fileName: string; problem: string }[],
    pkgFile: string,
  ): { components: StoredComponent[]; resolved: { name: string; members: string[] }[] } {
    const out = new Map<string, StoredComponent>();
    const resolved = new Map<string, Set<string>>();
    const add = (c: StoredComponent): void => {
      out.set(`${c.type}#${c.fullName}`, c);
      let set = resolved.get(c.type);
      if (!set) resolved.set(c.type, (set = new Set()));
      set.add(c.fullName);
    };
    const storedFields = storedComponents(this.org.db, 'CustomField');
    for (const entry of manifest.types) {
      const type = mdapiType(entry.name);
      if (!type) {
        messages.push({ fileName: pkgFile, problem: `Entity type: '${entry.name}' is unknown` });
        continue;
      }
      const stored = storedComponents(this.org.db, type.name);
      for (const member of entry.members) {
        let found: StoredComponent[];
        if (member === '*') {
          found = stored;
          if (type.name === 'CustomObject') {
            // Custom objects the org has whose object file was never deployed (fields only).
            for (const o of this.org.schema.objects()) {
              if (o.custom && !found.some((c) => c.fullName.toLowerCase() === o.name.toLowerCase())) found = [...found, this.objectPlaceholder(o.name)];
            }
          }
        } else {
          const one = stored.find((c) => c.fullName.toLowerCase() === member.toLowerCase());
          const schemaObject = type.name === 'CustomObject' && !one ? this.org.schema.get(member) : undefined;
          found = one ? [one] : schemaObject && !schemaObject.toolingOnly ? [this.objectPlaceholder(schemaObject.name)] : [];
          if (!found.length) messages.push({ fileName: pkgFile, problem: `Entity of type '${type.name}' named '${member}' cannot be found` });
        }
        for (const c of found) {
          add(c);
          if (c.type === 'CustomObject') {
            for (const f of storedFields) if (f.fullName.toLowerCase().startsWith(`${c.fullName.toLowerCase()}.`)) add(f);
          }
        }
      }
    }
    return { components: [...out.values()], resolved: [...resolved].map(([name, members]) => ({ name, members: [...members] })) };
  }

  private objectPlaceholder(name: string): StoredComponent {
    return { type: 'CustomObject', fullName: name, path: name, xml: this.synthesizedObject(name) ?? '', id: '', lastModifiedDate: new Date().toISOString() };
  }

  /** An object file for an object the org has but whose CustomObject metadata was never deployed. */
  private synthesizedObject(objectName: string): string | undefined {
    const o = this.org.schema.get(objectName);
    if (!o) return undefined;
    const children = [`<sharingModel>${escapeXml(o.sharingModel)}</sharingModel>`];
    if (o.custom) {
      children.push(`<label>${escapeXml(o.label)}</label>`, `<pluralLabel>${escapeXml(o.labelPlural)}</pluralLabel>`);
      const nameField = o.fields.find((f) => f.nameField);
      if (nameField) children.push(`<nameField>\n    <label>${escapeXml(nameField.label)}</label>\n    <type>Text</type>\n</nameField>`);
      children.push('<deploymentStatus>Deployed</deploymentStatus>');
    }
    return buildDocument('CustomObject', children.sort());
  }

  /** A stored component as a retrieve returns it (the org fills in what it generated: consumer keys). */
  private forRetrieve(c: StoredComponent): SourceComponent {
    if (c.type === 'ExtlClntAppGlobalOauthSettings') {
      const key = this.org.config.clients?.[c.fullName]?.consumerKey;
      if (key && !/<consumerKey>/.test(c.xml)) {
        const doc = splitChildren(c.xml);
        const children = [...doc.children.map((x) => ({ name: x.name, raw: x.raw })), { name: 'consumerKey', raw: `<consumerKey>${escapeXml(key)}</consumerKey>` }];
        children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return { ...c, xml: buildDocument(doc.root, children.map((x) => x.raw), doc.rootTag) };
      }
    }
    return c;
  }

  private fileProperties(c: StoredComponent, root: string, names: Map<string, string>): FileProperties {
    const row = this.org.db.prepare('SELECT created_date, last_modified_date, last_modified_by_id FROM _metadata WHERE type = ? AND full_name = ?').get(c.type, c.fullName) as
      | { created_date: string; last_modified_date: string; last_modified_by_id: string | null }
      | undefined;
    const by = row?.last_modified_by_id ?? this.org.systemUserId;
    return {
      createdById: by,
      createdByName: names.get(by) ?? '',
      createdDate: row?.created_date ?? c.lastModifiedDate,
      fileName: `${root}${componentFileName(c.type, c.fullName)}`,
      fullName: c.fullName,
      id: c.id,
      lastModifiedById: by,
      lastModifiedByName: names.get(by) ?? '',
      lastModifiedDate: row?.last_modified_date ?? c.lastModifiedDate,
      manageableState: 'unmanaged',
      type: c.type,
    };
  }

  /**
   * readMetadata: the deployed components as the SOAP API's Metadata records (the component's XML
   * elements under `<records xsi:type="Type">` with `fullName`; ApexClass adds its base64 `content`).
   * Unknown names are left out.
   */
  readMetadata(type: string, fullNames: string[]): string[] {
    const t = mdapiType(type);
    if (!t) return [];
    const stored = storedComponents(this.org.db, type);
    const fields = type === 'CustomObject' ? storedComponents(this.org.db, 'CustomField') : [];
    const out: string[] = [];
    for (const name of fullNames) {
      const c = stored.find((x) => x.fullName.toLowerCase() === name.toLowerCase());
      if (!c) continue;
      let xml = this.forRetrieve(c).xml;
      if (type === 'CustomObject') {
        const own = fields.filter((f) => f.fullName.toLowerCase().startsWith(`${c.fullName.toLowerCase()}.`));
        xml = buildRetrieveFiles([c, ...own], () => undefined)[0]!.content;
      }
      const children = splitChildren(xml).children.filter((x) => x.name !== 'fullName').map((x) => x.raw);
      if (c.body !== undefined && t.metaFile) children.push(`<content>${Buffer.from(c.body).toString('base64')}</content>`);
      out.push(`<records xsi:type="${escapeXml(type)}"><fullName>${escapeXml(c.fullName)}</fullName>${children.join('')}</records>`);
    }
    return out;
  }

  /** listMetadata: deployed components of the queried types. */
  listMetadata(queries: { type: string; folder?: string }[]): FileProperties[] {
    const names = this.userNames();
    return queries.flatMap((query) => (mdapiType(query.type) ? storedComponents(this.org.db, query.type).map((c) => this.fileProperties(c, '', names)) : []));
  }

  describeMetadata(): { metadataObjects: { childXmlNames: string[]; directoryName: string; inFolder: boolean; metaFile: boolean; suffix: string; xmlName: string }[]; organizationNamespace: string; partialSaveAllowed: boolean; testRequired: boolean } {
    return {
      metadataObjects: mdapiTypes()
        .filter((t) => !t.parent)
        .map((t) => ({
          childXmlNames: mdapiTypes()
            .filter((c) => c.parent === t.name)
            .map((c) => c.name),
          directoryName: t.directory,
          inFolder: false,
          metaFile: Boolean(t.metaFile),
          suffix: t.suffix,
          xmlName: t.name,
        })),
      organizationNamespace: '',
      partialSaveAllowed: true,
      testRequired: false,
    };
  }

  private userNames(): Map<string, string> {
    const rows = this.org.db.prepare('SELECT Id, Name FROM "User"').all() as { Id: string; Name: string }[];
    return new Map(rows.map((r) => [r.Id, r.Name]));
  }
}

function componentFileName(type: string, fullName: string): string {
  const t = mdapiType(type);
  return t ? componentFile(t, fullName) : `${type}/${fullName}`;
}

function remember<T>(map: Map<string, T>, id: string, value: T): void {
  map.set(id, value);
  if (map.size > KEEP_JOBS) map.delete(map.keys().next().value!);
}
