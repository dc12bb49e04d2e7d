/**
 * Setup › MCP Servers (`/lightning/setup/McpServers/home`): the standard SObject servers and the
 * deployed custom servers (from the API Catalog, rest/api-catalog.ts), with their activation state,
 * Activate/Deactivate, and each server's tools with their annotations.
 *
 * - Activation writes the same `McpServerAccess` records as the Tooling API (rest/tooling.ts): the
 *   server's record is updated, or created (standard servers by DeveloperName, custom ones with
 *   McpServerId) when none exists.
 * - A custom server's tools are edited by deploying its McpServerDefinition with the tool added or
 *   removed (metadata/deploy.ts `deployComponents`, validated like any deploy), which — as on the
 *   platform — sets the server's McpServerAccess back to inactive; the admin activates it again.
 *   Tools can point at deployed invocable Apex actions, flows and named queries.
 */
import type { Router } from '../http/router.ts';
import { storedComponents } from '../metadata/apply.ts';
import { deployComponents } from '../metadata/deploy.ts';
import { escapeXml, splitChildren, buildDocument } from '../metadata/xml-raw.ts';
import type { OrgContext } from '../org/context.ts';
import { ApiCatalog, type CatalogServer } from '../rest/api-catalog.ts';
import { listFlowDefinitions } from '../actions/flow-versions.ts';
import { listActions } from '../actions/invocable.ts';
import type { UserContext } from '../security/types.ts';
import { setupChange } from './audit.ts';
import { attr, badge, esc, hidden, notFoundPage, postForm, redirect, setupPage } from './html.ts';
import type { SetupSessions } from './session.ts';

const HOME = '/lightning/setup/McpServers/home';
const NOTICES: Record<string, string> = {
  activated: 'The server is active.',
  deactivated: 'The server is inactive.',
  'tool-added': 'Tool added. The server was deactivated because its tools changed; activate it again when ready.',
  'tool-removed': 'Tool removed. The server was deactivated because its tools changed; activate it again when ready.',
};

function pageUrl(id: string, notice?: string): string {
  return `/lightning/setup/McpServers/page?id=${encodeURIComponent(id)}${notice ? `&saved=${notice}` : ''}`;
}

/** Activates or deactivates a server through its McpServerAccess record (created if missing). */
export function setServerActive(org: OrgContext, server: CatalogServer, active: boolean, userId: string): void {
  const o = org.schema.get('McpServerAccess')!;
  if (server.accessRecordId) {
    org.store.update(o, server.accessRecordId, { Active: active }, userId);
    return;
  }
  if (!active) return;
  const values: Record<string, unknown> = { DeveloperName: server.name, MasterLabel: server.label, Active: true };
  if (server.source === 'CUSTOM') values.McpServerId = server.id;
  org.store.insert(o, values, userId);
}

interface ToolTarget {
  value: string;
  label: string;
  group: string;
}

/** Deployed actions, flows and named queries a custom tool can point at. */
function toolTargets(org: OrgContext, admin: UserContext): ToolTarget[] {
  const apex = listActions(org, admin, 'apex', '66.0').map((a) => ({ value: `aa:apex-${a.name}`, label: `${a.label} (${a.name})`, group: 'Invocable Apex actions' }));
  const flows = listFlowDefinitions(org.db)
    .filter((d) => d.processType === 'AutoLaunchedFlow')
    .map((d) => ({ value: `fa:flow-${d.developerName}`, label: `${d.label} (${d.developerName})`, group: 'Flows' }));
  const queries = storedComponents(org.db, 'ApiNamedQuery').map((c) => ({ value: `nq:${c.fullName}`, label: c.fullName, group: 'Named queries' }));
  return [...apex, ...flows, ...queries];
}

function serverRow(s: CatalogServer, csrf: string, toolCount: number): string {
  const toggle = postForm(
    '/lightning/setup/McpServers/activate',
    csrf,
    `${hidden('id', s.id)}${hidden('active', s.active ? 'false' : 'true')}<button type="submit" class="${s.active ? 'danger' : ''}" aria-label="${attr(`${s.active ? 'Deactivate' : 'Activate'} ${s.label}`)}">${s.active ? 'Deactivate' : 'Activate'}</button>`,
    { className: 'inline' },
  );
  return `<tr data-server="${attr(s.name)}"><th scope="row"><a href="${attr(pageUrl(s.id))}">${esc(s.label)}</a></th><td><code>${esc(s.name)}</code></td><td>${s.source === 'STANDARD' ? 'Standard' : 'Custom'}</td><td>${badge(s.active)}</td><td>${toolCount}</td><td><code>${esc(s.serverUrl)}</code></td><td>${toggle}</td></tr>`;
}

function yesNo(v: boolean | undefined): string {
  return v ? 'Yes' : 'No';
}

/** The server's McpServerDefinition with a tool added or removed. */
function editedDefinition(xml: string, change: { remove?: string; add?: string }): string {
  const doc = splitChildren(xml);
  const children = doc.children.filter((c) => {
    if (c.name !== 'tools' || !change.remove) return true;
    const name = /<toolName>([\s\S]*?)<\/toolName>/.exec(c.inner)?.[1]?.trim();
    return name !== escapeXml(change.remove);
  });
  const raws = children.map((c) => c.raw);
  if (change.add) {
    // Tools go after the other tools (or before prompts), keeping the file's element order.
    let at = raws.length;
    const lastTool = children.map((c) => c.name).lastIndexOf('tools');
    if (lastTool >= 0) at = lastTool + 1;
    else {
      const firstPrompt = children.findIndex((c) => c.name === 'prompts');
      if (firstPrompt >= 0) at = firstPrompt;
    }
    raws.splice(at, 0, change.add);
  }
  return buildDocument(doc.root, raws, doc.rootTag);
}

function toolXml(t: { target: string; toolName: string; toolTitle?: string; description?: string; readOnly: boolean; destructive: boolean; idempotent: boolean; openWorld: boolean }): string {
  const operation = t.target.replace(/^aa:apex-|^fa:flow-|^nq:/, '');
  const lines = [
    '<tools>',
    '    <apiDefinition>',
    `        <apiIdentifier>${escapeXml(t.target)}</apiIdentifier>`,
    '        <apiSource>API_CATALOG</apiSource>',
    `        <operation>${escapeXml(operation)}</operation>`,
    '    </apiDefinition>',
    ...(t.description ? [`    <descriptionOverride>${escapeXml(t.description)}</descriptionOverride>`] : []),
    `    <destructive>${t.destructive}</destructive>`,
    `    <idempotent>${t.idempotent}</idempotent>`,
    `    <openWorld>${t.openWorld}</openWorld>`,
    `    <readOnly>${t.readOnly}</readOnly>`,
    '    <returnDirect>false</returnDirect>',
    `    <toolName>${escapeXml(t.toolName)}</toolName>`,
    ...(t.toolTitle ? [`    <toolTitle>${escapeXml(t.toolTitle)}</toolTitle>`] : []),
    '</tools>',
  ];
  return lines.join('\n');
}

export function registerMcpServersPage(router: Router, org: OrgContext, sessions: SetupSessions): void {
  const catalog = new ApiCatalog(org);

  router.add(
    'GET',
    HOME,
    sessions.guard(({ ctx, username, csrf }) => {
      const servers = catalog.servers();
      const rows = servers.map((s) => serverRow(s, csrf, catalog.assets(s).filter((a) => a.kind === 'MCP_TOOL').length)).join('\n');
      const body = `<p>Agents reach the org only through active servers. Activation is stored in <code>McpServerAccess</code> records, as with the Tooling API.</p>
<table id="servers"><caption class="sr-only">MCP servers</caption><thead><tr><th scope="col">Server</th><th scope="col">API name</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Tools</th><th scope="col">Server URL</th><th scope="col">Action</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
      return setupPage({ title: 'MCP Servers', current: 'McpServers', username, csrf, body, notice: NOTICES[ctx.query.get('saved') ?? ''] });
    }),
    { auth: 'public' },
  );

  const renderServer = (id: string, username: string, csrf: string, user: UserContext, notice?: string, error?: string, status = 200) => {
    const s = catalog.server(id);
    if (!s) return notFoundPage('No such MCP server.');
    const assets = catalog.assets(s);
    const tools = assets.filter((a) => a.kind === 'MCP_TOOL');
    const prompts = assets.filter((a) => a.kind === 'MCP_PROMPT');
    const custom = s.source === 'CUSTOM';
    const toolRows = tools
      .map((t) => {
        const a = t.annotations;
        const remove = custom
          ? `<td>${postForm('/lightning/setup/McpServers/tools/remove', csrf, `${hidden('id', s.id)}${hidden('toolName', t.name)}<button type="submit" class="danger" aria-label="${attr(`Remove tool ${t.name}`)}">Remove</button>`, { className: 'inline' })}</td>`
          : '';
        return `<tr data-tool="${attr(t.name)}"><th scope="row"><code>${esc(t.name)}</code></th><td>${esc(t.toolTitle ?? t.label)}</td><td>${esc(t.description)}</td><td><code>${esc(t.apiIdentifier ?? '')}</code></td><td>${yesNo(a?.readOnly)}</td><td>${yesNo(a?.destructive)}</td><td>${yesNo(a?.idempotent)}</td><td>${yesNo(a?.openWorld)}</td>${remove}</tr>`;
      })
      .join('\n');
    const toggle = postForm(
      '/lightning/setup/McpServers/activate',
      csrf,
      `${hidden('id', s.id)}${hidden('active', s.active ? 'false' : 'true')}${hidden('back', 'page')}<button type="submit" id="toggle-active" class="${s.active ? 'danger' : ''}">${s.active ? 'Deactivate' : 'Activate'}</button>`,
      { className: 'inline' },
    );
    let addForm = '';
    if (custom) {
      const targets = toolTargets(org, user);
      const groups = [...new Set(targets.map((t) => t.group))]
        .map((g) => `<optgroup label="${attr(g)}">${targets.filter((t) => t.group === g).map((t) => `<option value="${attr(t.value)}">${esc(t.label)}</option>`).join('')}</optgroup>`)
        .join('');
      addForm = `<section class="card" aria-labelledby="add-h"><h2 id="add-h">Add a Tool</h2>
<p class="muted">Saving changes the server's tools, which deactivates it until you activate it again.</p>
${postForm(
  '/lightning/setup/McpServers/tools/add',
  csrf,
  `${hidden('id', s.id)}
<label for="tool-target">Action, flow or named query</label><select id="tool-target" name="target" required>${groups}</select>
<label for="tool-name">Tool name</label><input type="text" id="tool-name" name="toolName" required pattern="[A-Za-z][A-Za-z0-9_]{0,63}" aria-describedby="tool-name-help"><div id="tool-name-help" class="muted">Letters, digits and underscores; starts with a letter.</div>
<label for="tool-title">Title</label><input type="text" id="tool-title" name="toolTitle">
<label for="tool-description">Description agents see</label><textarea id="tool-description" name="description"></textarea>
<fieldset><legend>Annotations</legend>
<label class="inline"><input type="checkbox" name="readOnly" value="true" id="ann-readonly"> Read only</label>
<label class="inline"><input type="checkbox" name="destructive" value="true" id="ann-destructive"> Destructive</label>
<label class="inline"><input type="checkbox" name="idempotent" value="true" id="ann-idempotent"> Idempotent</label>
<label class="inline"><input type="checkbox" name="openWorld" value="true" id="ann-openworld"> Open world</label>
</fieldset>
<p><button type="submit" id="add-tool">Add Tool</button></p>`,
)}</section>`;
    }
    const promptList = prompts.length
      ? `<h2>Prompts</h2><ul>${prompts.map((p) => `<li><code>${esc(p.name)}</code> — ${esc(p.description)}</li>`).join('')}</ul>`
      : '';
    const body = `<p><a href="${HOME}">« All MCP servers</a></p>
<div class="card"><p><strong>${esc(s.label)}</strong> <code>${esc(s.name)}</code> · ${custom ? 'Custom' : 'Standard'} · <span id="server-status">${badge(s.active)}</span></p>
<p>${esc(s.description ?? '')}</p><p class="muted">Server URL: <code>${esc(s.serverUrl)}</code></p>${toggle}</div>
<h2>Tools</h2>
<table id="tools"><caption class="sr-only">Tools of ${esc(s.label)}</caption><thead><tr><th scope="col">Tool</th><th scope="col">Title</th><th scope="col">Description</th><th scope="col">Source</th><th scope="col">Read only</th><th scope="col">Destructive</th><th scope="col">Idempotent</th><th scope="col">Open world</th>${custom ? '<th scope="col">Action</th>' : ''}</tr></thead>
<tbody>
${toolRows || `<tr><td colspan="${custom ? 9 : 8}">No tools.</td></tr>`}
</tbody></table>
${promptList}
${addForm}`;
    return setupPage({ title: `MCP Server: ${s.label}`, current: 'McpServers', username, csrf, body, notice, error }, status);
  };

  router.add(
    'GET',
    '/lightning/setup/McpServers/page',
    sessions.guard(({ ctx, username, csrf, user }) => renderServer(ctx.query.get('id') ?? '', username, csrf, user, NOTICES[ctx.query.get('saved') ?? ''])),
    { auth: 'public' },
  );

  router.add(
    'POST',
    '/lightning/setup/McpServers/activate',
    sessions.guard(({ ctx, user, form }) => {
      const s = catalog.server(form.get('id') ?? '');
      if (!s) return notFoundPage('No such MCP server.');
      const active = form.get('active') === 'true';
      setupChange(org, ctx, user, { entity: 'McpServerAccess', action: active ? 'activate' : 'deactivate' }, () => setServerActive(org, s, active, user.userId));
      const notice = active ? 'activated' : 'deactivated';
      return redirect(form.get('back') === 'page' ? pageUrl(s.id, notice) : `${HOME}?saved=${notice}`);
    }),
    { auth: 'public' },
  );

  const editTools = (ctx: Parameters<typeof setupChange>[1], user: UserContext, s: CatalogServer, change: { remove?: string; add?: string }): string | undefined => {
    const component = storedComponents(org.db, 'McpServerDefinition').find((c) => c.fullName === s.name);
    if (!component) return 'The server definition is not deployed.';
    const xml = editedDefinition(component.xml, change);
    const outcome = setupChange(org, ctx, user, { entity: 'McpServerDefinition', action: change.add ? 'add-tool' : 'remove-tool' }, () => {
      const result = deployComponents(org, [{ type: 'McpServerDefinition', fullName: s.name, xml, path: `mcpServerDefinitions/${s.name}.mcpServerDefinition-meta.xml` }], user.userId);
      if (result.problems.some((p) => p.problemType === 'Error')) throw new DeployRefused(result.problems.filter((p) => p.problemType === 'Error').map((p) => p.problem).join(' '));
      return result;
    });
    return outcome ? undefined : 'Not saved.';
  };

  router.add(
    'POST',
    '/lightning/setup/McpServers/tools/remove',
    sessions.guard(({ ctx, user, username, csrf, form }) => {
      const s = catalog.server(form.get('id') ?? '');
      if (!s || s.source !== 'CUSTOM') return notFoundPage('No such custom MCP server.');
      try {
        const err = editTools(ctx, user, s, { remove: form.get('toolName') ?? '' });
        if (err) return renderServer(s.id, username, csrf, user, undefined, err, 400);
      } catch (e) {
        if (e instanceof DeployRefused) return renderServer(s.id, username, csrf, user, undefined, `Not saved: ${e.message}`, 400);
        throw e;
      }
      return redirect(pageUrl(s.id, 'tool-removed'));
    }),
    { auth: 'public' },
  );

  router.add(
    'POST',
    '/lightning/setup/McpServers/tools/add',
    sessions.guard(({ ctx, user, username, csrf, form }) => {
      const s = catalog.server(form.get('id') ?? '');
      if (!s || s.source !== 'CUSTOM') return notFoundPage('No such custom MCP server.');
      const target = form.get('target') ?? '';
      const toolName = (form.get('toolName') ?? '').trim();
      const allowed = toolTargets(org, user).some((t) => t.value === target);
      if (!allowed) return renderServer(s.id, username, csrf, user, undefined, 'Choose a deployed action, flow or named query.', 400);
      if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(toolName)) {
        return renderServer(s.id, username, csrf, user, undefined, 'Tool name: use letters, digits and underscores, starting with a letter (at most 64 characters).', 400);
      }
      const add = toolXml({
        target,
        toolName,
        toolTitle: (form.get('toolTitle') ?? '').trim() || undefined,
        description: (form.get('description') ?? '').trim() || undefined,
        readOnly: form.get('readOnly') === 'true',
        destructive: form.get('destructive') === 'true',
        idempotent: form.get('idempotent') === 'true',
        openWorld: form.get('openWorld') === 'true',
      });
      try {
        const err = editTools(ctx, user, s, { add });
        if (err) return renderServer(s.id, username, csrf, user, undefined, err, 400);
      } catch (e) {
        if (e instanceof DeployRefused) return renderServer(s.id, username, csrf, user, undefined, `Not saved: ${e.message}`, 400);
        throw e;
      }
      return redirect(pageUrl(s.id, 'tool-added'));
    }),
    { auth: 'public' },
  );
}

/** A deploy's component failures (thrown to roll back the audit row with it). */
class DeployRefused extends Error {}
