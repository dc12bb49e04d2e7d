/**
 * Setup › Flows (`/lightning/setup/Flows/home`): deployed flows with their versions; activate a
 * version or deactivate the flow; edit the label, description and input/output variable
 * descriptions — what agents see through `/actions/custom/flow/<name>` and the MCP tools built on it.
 *
 * - Activation uses `activateFlowVersion` (actions/flow-versions.ts) and stamps the flow's
 *   FlowDefinitionView row (IsActive, LastModifiedDate, LastModifiedById).
 * - An edit is saved the way Flow Builder saves a changed flow: a new version with the edits
 *   ("Save As New Version"), deployed through `deployComponents` as the admin, active if the flow
 *   was active. So the change goes through deploy validation, the flow's describe and
 *   FlowDefinitionView (Label, Description, LastModifiedDate/ById) follow, and MCP servers polling
 *   the describe send `tools/list_changed`. The version history shows every edit.
 * Both are recorded as Setup changes (setup/audit.ts).
 */
import type { Router } from '../http/router.ts';
import { activateFlowVersion, getFlowDefinition, listFlowDefinitions, listFlowVersions, type FlowVersionRecord } from '../actions/flow-versions.ts';
import { deployComponents } from '../metadata/deploy.ts';
import { buildDocument, escapeXml, splitChildren } from '../metadata/xml-raw.ts';
import { list, parseMetadataXml, text, type XmlNode } from '../metadata/xml.ts';
import type { OrgContext } from '../org/context.ts';
import { formatDatetime } from '../storage/record-store.ts';
import { setupChange } from './audit.ts';
import { attr, badge, esc, hidden, notFoundPage, postForm, redirect, setupPage } from './html.ts';
import type { SetupSessions } from './session.ts';

const HOME = '/lightning/setup/Flows/home';
const NOTICES: Record<string, string> = {
  activated: 'Version activated.',
  deactivated: 'Flow deactivated.',
  saved: 'Saved as a new version. Agents see the new label and descriptions on their next tool list.',
};

interface FlowVariable {
  name: string;
  dataType: string;
  isInput: boolean;
  isOutput: boolean;
  description: string;
}

function variablesOf(xml: string): FlowVariable[] {
  try {
    const { body } = parseMetadataXml(xml, 'Flow');
    return list<XmlNode>(body.variables)
      .map((v) => ({
        name: text(v.name) ?? '',
        dataType: text(v.dataType) ?? '',
        isInput: text(v.isInput) === 'true',
        isOutput: text(v.isOutput) === 'true',
        description: text(v.description) ?? '',
      }))
      .filter((v) => v.name && (v.isInput || v.isOutput));
  } catch {
    return [];
  }
}

function pageUrl(name: string, notice?: string): string {
  return `/lightning/setup/Flows/page?name=${encodeURIComponent(name)}${notice ? `&saved=${notice}` : ''}`;
}

/** Replaces (or inserts after the opening tag) a simple child element of a raw element's content. */
function setChild(inner: string, name: string, value: string | undefined): string {
  const re = new RegExp(`\\s*<${name}>[\\s\\S]*?</${name}>|\\s*<${name}/>`);
  const without = inner.replace(re, '');
  if (value === undefined || value === '') return without;
  return `\n    <${name}>${escapeXml(value)}</${name}>${without.startsWith('\n') ? '' : '\n'}${without}`;
}

/** The base version's XML with the edits applied and the given status. */
export function editedFlowXml(xml: string, edits: { label: string; description: string; variables: Map<string, string>; status: 'Active' | 'Draft' }): string {
  const doc = splitChildren(xml);
  const raws: string[] = [];
  let sawDescription = false;
  for (const c of doc.children) {
    if (c.name === 'label') raws.push(`<label>${escapeXml(edits.label)}</label>`);
    else if (c.name === 'status') raws.push(`<status>${edits.status}</status>`);
    else if (c.name === 'description') {
      sawDescription = true;
      if (edits.description) raws.push(`<description>${escapeXml(edits.description)}</description>`);
    } else if (c.name === 'variables') {
      const name = /<name>([\s\S]*?)<\/name>/.exec(c.inner)?.[1]?.trim();
      const match = [...edits.variables.keys()].find((k) => escapeXml(k) === name);
      raws.push(match === undefined ? c.raw : `<variables>${setChild(c.inner, 'description', edits.variables.get(match))}</variables>`);
    } else raws.push(c.raw);
  }
  if (!sawDescription && edits.description) {
    const at = doc.children.findIndex((c) => c.name > 'description' && c.name !== 'apiVersion');
    raws.splice(at < 0 ? raws.length : at, 0, `<description>${escapeXml(edits.description)}</description>`);
  }
  return buildDocument(doc.root, raws, doc.rootTag);
}

function stampDefinitionView(org: OrgContext, name: string, userId: string, isActive: boolean): void {
  const now = new Date().toISOString();
  org.db
    .prepare('UPDATE FlowDefinitionView SET IsActive = ?, LastModifiedDate = ?, SystemModstamp = ?, LastModifiedById = ? WHERE ApiName = ?')
    .run(isActive ? 1 : 0, now, now, userId, name);
}

export function registerFlowsPage(router: Router, org: OrgContext, sessions: SetupSessions): void {
  const lastModified = (name: string): string => {
    const row = org.db.prepare('SELECT LastModifiedDate FROM FlowDefinitionView WHERE ApiName = ?').get(name) as { LastModifiedDate: string } | undefined;
    return row ? formatDatetime(row.LastModifiedDate) : '';
  };

  router.add(
    'GET',
    HOME,
    sessions.guard(({ ctx, username, csrf }) => {
      const rows = listFlowDefinitions(org.db)
        .map(
          (d) =>
            `<tr data-flow="${attr(d.developerName)}"><th scope="row"><a href="${attr(pageUrl(d.developerName))}">${esc(d.label)}</a></th><td><code>${esc(d.developerName)}</code></td><td>${esc(d.processType ?? '')}</td><td>${d.activeVersion === null ? badge(false) : `${badge(true)} v${d.activeVersion}`}</td><td>${d.latestVersion}</td><td>${esc(d.description ?? '')}</td><td>${esc(lastModified(d.developerName))}</td></tr>`,
        )
        .join('\n');
      const body = `<table id="flows"><caption class="sr-only">Flows</caption><thead><tr><th scope="col">Label</th><th scope="col">API name</th><th scope="col">Type</th><th scope="col">Active version</th><th scope="col">Latest version</th><th scope="col">Description</th><th scope="col">Last modified</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="7">No flows are deployed.</td></tr>'}
</tbody></table>`;
      return setupPage({ title: 'Flows', current: 'Flows', username, csrf, body, notice: NOTICES[ctx.query.get('saved') ?? ''] });
    }),
    { auth: 'public' },
  );

  router.add(
    'GET',
    '/lightning/setup/Flows/page',
    sessions.guard(({ ctx, username, csrf }) => {
      const def = getFlowDefinition(org.db, ctx.query.get('name') ?? '');
      if (!def) return notFoundPage('No such flow.');
      const versions = listFlowVersions(org.db, def.developerName);
      const base = baseVersion(versions, def.activeVersion);
      const versionRows = versions
        .slice()
        .reverse()
        .map((v) => {
          const active = v.versionNumber === def.activeVersion;
          const action = postForm(
            '/lightning/setup/Flows/activate',
            csrf,
            `${hidden('name', def.developerName)}${hidden('version', active ? '' : String(v.versionNumber))}<button type="submit" class="${active ? 'danger' : ''}" aria-label="${attr(`${active ? 'Deactivate' : 'Activate'} version ${v.versionNumber}`)}">${active ? 'Deactivate' : 'Activate'}</button>`,
            { className: 'inline' },
          );
          return `<tr data-version="${v.versionNumber}"><th scope="row">${v.versionNumber}</th><td>${esc(v.label)}</td><td>${active ? badge(true) : esc(v.status)}</td><td>${esc(formatDatetime(v.createdDate))}</td><td>${action}</td></tr>`;
        })
        .join('\n');
      const vars = base ? variablesOf(base.xml) : [];
      const varFields = vars
        .map((v, i) => {
          const kind = v.isInput && v.isOutput ? 'input/output' : v.isInput ? 'input' : 'output';
          return `<label for="var-${i}">Description of ${esc(kind)} variable <code>${esc(v.name)}</code> (${esc(v.dataType)})</label><textarea id="var-${i}" name="var.${attr(v.name)}" data-variable="${attr(v.name)}">${esc(v.description)}</textarea>`;
        })
        .join('\n');
      const body = `<p><a href="${HOME}">« All flows</a></p>
<div class="card"><p><strong id="flow-label">${esc(def.label)}</strong> <code>${esc(def.developerName)}</code> · ${esc(def.processType ?? '')} · ${def.activeVersion === null ? badge(false) : `${badge(true)} version ${def.activeVersion}`}</p>
<p id="flow-description">${esc(def.description ?? '')}</p><p class="muted">Last modified <span id="flow-last-modified">${esc(lastModified(def.developerName))}</span></p></div>
<h2>Versions</h2>
<table id="versions"><caption class="sr-only">Versions of ${esc(def.label)}</caption><thead><tr><th scope="col">Version</th><th scope="col">Label</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Action</th></tr></thead><tbody>
${versionRows}
</tbody></table>
<section class="card" aria-labelledby="edit-h"><h2 id="edit-h">Edit What Agents See</h2>
<p class="muted">Saving creates version ${def.latestVersion + 1} from version ${base?.versionNumber ?? '?'}${def.activeVersion !== null ? ' and activates it' : ''}.</p>
${postForm(
  '/lightning/setup/Flows/save',
  csrf,
  `${hidden('name', def.developerName)}
<label for="flow-label-input">Flow label</label><input type="text" id="flow-label-input" name="label" value="${attr(def.label)}" required maxlength="255">
<label for="flow-description-input">Flow description</label><textarea id="flow-description-input" name="description">${esc(def.description ?? '')}</textarea>
${varFields}
<p><button type="submit" id="save-flow">Save</button></p>`,
  { label: 'Edit flow' },
)}</section>`;
      return setupPage({ title: `Flow: ${def.label}`, current: 'Flows', username, csrf, body, notice: NOTICES[ctx.query.get('saved') ?? ''] });
    }),
    { auth: 'public' },
  );

  router.add(
    'POST',
    '/lightning/setup/Flows/activate',
    sessions.guard(({ ctx, user, form }) => {
      const def = getFlowDefinition(org.db, form.get('name') ?? '');
      if (!def) return notFoundPage('No such flow.');
      const raw = form.get('version') ?? '';
      const version = raw === '' ? null : Number(raw);
      if (version !== null && !listFlowVersions(org.db, def.developerName).some((v) => v.versionNumber === version)) return notFoundPage('No such flow version.');
      setupChange(org, ctx, user, { entity: 'FlowDefinition', action: version === null ? 'deactivate' : 'activate' }, () => {
        activateFlowVersion(org.db, def.developerName, version, user.userId);
        stampDefinitionView(org, def.developerName, user.userId, version !== null);
      });
      return redirect(pageUrl(def.developerName, version === null ? 'deactivated' : 'activated'));
    }),
    { auth: 'public' },
  );

  router.add(
    'POST',
    '/lightning/setup/Flows/save',
    sessions.guard(({ ctx, user, username, csrf, form }) => {
      const def = getFlowDefinition(org.db, form.get('name') ?? '');
      if (!def) return notFoundPage('No such flow.');
      const label = (form.get('label') ?? '').trim();
      const fail = (message: string) => setupPage({ title: `Flow: ${def.label}`, current: 'Flows', username, csrf, error: message, body: `<p><a href="${attr(pageUrl(def.developerName))}">Back to the flow</a></p>` }, 400);
      if (!label || label.length > 255) return fail('Flow label: enter a label of at most 255 characters.');
      const description = (form.get('description') ?? '').replace(/\r\n/g, '\n').trim();
      const base = baseVersion(listFlowVersions(org.db, def.developerName), def.activeVersion);
      if (!base) return notFoundPage('The flow has no version.');
      const known = new Set(variablesOf(base.xml).map((v) => v.name));
      const variables = new Map<string, string>();
      for (const [k, v] of form) if (k.startsWith('var.') && known.has(k.slice(4))) variables.set(k.slice(4), v.replace(/\r\n/g, '\n').trim());
      const xml = editedFlowXml(base.xml, { label, description, variables, status: def.activeVersion !== null ? 'Active' : 'Draft' });
      let problems = '';
      try {
        setupChange(org, ctx, user, { entity: 'FlowDefinition', action: 'save' }, () => {
        const outcome = deployComponents(org, [{ type: 'Flow', fullName: def.developerName, xml, path: `flows/${def.developerName}.flow-meta.xml` }], user.userId);
        const errors = outcome.problems.filter((p) => p.problemType === 'Error');
        if (errors.length) {
          problems = errors.map((p) => p.problem).join(' ');
          throw new SaveRefused();
        }
      });
      } catch (e) {
        if (!(e instanceof SaveRefused)) throw e;
      }
      if (problems) return fail(`Not saved: ${problems}`);
      return redirect(pageUrl(def.developerName, 'saved'));
    }),
    { auth: 'public' },
  );
}

class SaveRefused extends Error {}

function baseVersion(versions: FlowVersionRecord[], active: number | null): FlowVersionRecord | undefined {
  return versions.find((v) => v.versionNumber === active) ?? versions[versions.length - 1];
}
