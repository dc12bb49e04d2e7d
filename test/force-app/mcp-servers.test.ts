/**
 * The custom MCP servers (McpServerDefinition): a read-only server and a service server.
 * - tool names follow the MCP conformance rule (^[A-Za-z0-9_./-]+$, at most 64 characters) and are
 *   unique across both servers (one mcp_api token reaches every activated server);
 * - every apiIdentifier resolves to something in force-app: `aa:apex-<Class>` to a global
 *   invocable class, `fa:flow-<Flow>` to an active autolaunched flow, `nq:<Query>` to a named
 *   query; `operation` matches;
 * - annotations are truthful: derived from what the backing code does (DML / record elements),
 *   not just asserted;
 * - the permission sets grant exactly what each server needs.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { apexClass, hasInvocableMethod, isTestClass } from './apex-model.ts';
import { DEFAULT_DIR, PERMISSION_SETS, apiName, list, metadataFiles, readMetadata, text, type XmlNode } from './support.ts';

interface Tool {
  server: string;
  toolName: string;
  toolTitle: string;
  description: string;
  apiIdentifier: string;
  apiSource: string;
  operation: string;
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
  openWorld: boolean;
}

interface Backing {
  kind: 'apex' | 'flow' | 'namedQuery';
  name: string;
  /** What the backing code does to data. */
  writes: 'none' | 'create' | 'modify';
}

const SERVER_SUFFIX = '.mcpServerDefinition-meta.xml';

function servers(): Map<string, { body: XmlNode; tools: Tool[] }> {
  const out = new Map<string, { body: XmlNode; tools: Tool[] }>();
  for (const file of metadataFiles('mcpServerDefinitions', SERVER_SUFFIX)) {
    const name = apiName(file, SERVER_SUFFIX);
    const body = readMetadata(file, 'McpServerDefinition');
    const tools = list(body.tools).map((t): Tool => {
      const api = (t.apiDefinition ?? {}) as XmlNode;
      return {
        server: name,
        toolName: text(t.toolName),
        toolTitle: text(t.toolTitle),
        description: text(t.descriptionOverride),
        apiIdentifier: text(api.apiIdentifier),
        apiSource: text(api.apiSource),
        operation: text(api.operation),
        readOnly: text(t.readOnly) === 'true',
        destructive: text(t.destructive) === 'true',
        idempotent: text(t.idempotent) === 'true',
        openWorld: text(t.openWorld) === 'true',
      };
    });
    out.set(name, { body, tools });
  }
  return out;
}

function flowBody(name: string): XmlNode {
  return readMetadata(join(DEFAULT_DIR, 'flows', `${name}.flow-meta.xml`), 'Flow');
}

/** Resolves an apiIdentifier and works out what the backing code does to data. */
function backing(tool: Tool): Backing {
  let m = /^aa:apex-([A-Za-z][A-Za-z0-9_]*)$/.exec(tool.apiIdentifier);
  if (m) {
    const cls = apexClass(m[1]!);
    if (!cls?.model) throw new Error(`${tool.toolName}: no Apex class ${m[1]}`);
    if (!hasInvocableMethod(cls.model) || isTestClass(cls.model)) throw new Error(`${tool.toolName}: ${m[1]} is not an invocable action`);
    if (!cls.model.modifiers.includes('global')) throw new Error(`${tool.toolName}: ${m[1]} is not global`);
    const kinds = new Set(cls.dml.map((d) => d.kind.replace(/^Database\./, '')));
    const writes = kinds.size === 0 ? 'none' : [...kinds].every((k) => k === 'insert') ? 'create' : 'modify';
    return { kind: 'apex', name: m[1]!, writes };
  }
  m = /^fa:flow-([A-Za-z][A-Za-z0-9_]*)$/.exec(tool.apiIdentifier);
  if (m) {
    const flow = flowBody(m[1]!);
    if (text(flow.processType) !== 'AutoLaunchedFlow' || text(flow.status) !== 'Active') throw new Error(`${tool.toolName}: ${m[1]} is not an active autolaunched flow`);
    const modifies = list(flow.recordUpdates).length + list(flow.recordDeletes).length > 0;
    const creates = list(flow.recordCreates).length > 0;
    return { kind: 'flow', name: m[1]!, writes: modifies ? 'modify' : creates ? 'create' : 'none' };
  }
  m = /^nq:([A-Za-z][A-Za-z0-9]*)$/.exec(tool.apiIdentifier);
  if (m) {
    readMetadata(join(DEFAULT_DIR, 'apiNamedQueries', `${m[1]}.apiNamedQuery-meta.xml`), 'ApiNamedQuery');
    return { kind: 'namedQuery', name: m[1]!, writes: 'none' };
  }
  throw new Error(`${tool.toolName}: unsupported apiIdentifier ${tool.apiIdentifier}`);
}

function permissionSet(name: string): XmlNode {
  return readMetadata(join(DEFAULT_DIR, 'permissionsets', `${name}.permissionset-meta.xml`), 'PermissionSet');
}

function enabled(body: XmlNode, key: 'classAccesses' | 'flowAccesses', nameKey: 'apexClass' | 'flow'): string[] {
  return list(body[key]).filter((a) => text(a.enabled) === 'true').map((a) => text(a[nameKey]));
}

describe('force-app: custom MCP servers (McpServerDefinition)', () => {
  const all = servers();
  const tools = [...all.values()].flatMap((s) => s.tools);

  it('defines the read-only and the service server with descriptions for agents', () => {
    expect([...all.keys()].sort()).to.deep.equal(['ForceGate_Read', 'ForceGate_Service']);
    for (const [name, s] of all) {
      expect(text(s.body.masterLabel), `${name} masterLabel`).to.not.equal('');
      expect(text(s.body.description), `${name} description`).to.have.length.greaterThan(80);
      expect(s.tools.length, `${name} tools`).to.be.at.least(4);
    }
  });

  it('names every tool within the MCP limits, uniquely across servers', () => {
    for (const t of tools) {
      expect(t.toolName, 'tool name characters').to.match(/^[A-Za-z0-9_./-]+$/);
      expect(t.toolName.length, `${t.toolName} length`).to.be.at.most(64);
    }
    const names = tools.map((t) => t.toolName);
    expect(new Set(names).size, 'unique tool names').to.equal(names.length);
  });

  it('describes every tool for an agent (what it does, its inputs, read-only or not)', () => {
    for (const t of tools) {
      expect(t.toolTitle, `${t.toolName} title`).to.not.equal('');
      expect(t.description.length, `${t.toolName} description length`).to.be.within(80, 1000);
      if (t.readOnly) expect(t.description, `${t.toolName} says it is read-only`).to.match(/read-only/i);
    }
  });

  it('resolves every apiIdentifier to force-app, with the prefix convention and a matching operation', () => {
    for (const t of tools) {
      const b = backing(t);
      expect(t.operation, `${t.toolName} operation`).to.equal(b.name);
      expect(t.apiSource, `${t.toolName} apiSource`).to.equal('API_CATALOG');
    }
  });

  it('puts only read-only tools on ForceGate_Read', () => {
    for (const t of all.get('ForceGate_Read')!.tools) {
      expect(backing(t).writes, `${t.toolName} backing writes`).to.equal('none');
      expect({ readOnly: t.readOnly, destructive: t.destructive, idempotent: t.idempotent, openWorld: t.openWorld }, t.toolName).to.deep.equal({
        readOnly: true,
        destructive: false,
        idempotent: true,
        openWorld: false,
      });
    }
    const kinds = new Set(all.get('ForceGate_Read')!.tools.map((t) => backing(t).kind));
    expect([...kinds].sort()).to.deep.equal(['apex', 'namedQuery']);
  });

  it('annotates the ForceGate_Service tools truthfully', () => {
    const service = all.get('ForceGate_Service')!.tools;
    expect(new Set(service.map((t) => backing(t).kind))).to.deep.equal(new Set(['apex', 'flow']));
    for (const t of service) {
      const b = backing(t);
      expect(b.writes, `${t.toolName} writes`).to.not.equal('none');
      expect(t.readOnly, `${t.toolName} readOnly`).to.equal(false);
      expect(t.openWorld, `${t.toolName} openWorld`).to.equal(false);
      // Overwriting fields of existing records is destructive; only adding records is not.
      expect(t.destructive, `${t.toolName} destructive (backing ${b.writes}s records)`).to.equal(b.writes === 'modify');
      // Each call that only creates records adds another one: never idempotent.
      if (b.writes === 'create') expect(t.idempotent, `${t.toolName} idempotent`).to.equal(false);
    }
  });

  it('exposes every invocable action, flow and named query on a server', () => {
    const exposed = new Set(tools.map((t) => backing(t).name));
    const flows = metadataFiles('flows', '.flow-meta.xml').map((f) => apiName(f, '.flow-meta.xml'));
    const queries = metadataFiles('apiNamedQueries', '.apiNamedQuery-meta.xml').map((f) => apiName(f, '.apiNamedQuery-meta.xml'));
    const actions = ['AccountHealthSummary', 'OpportunitiesClosingInRange', 'CreateSupportCase', 'LogCallActivity'];
    for (const name of [...flows, ...queries, ...actions]) expect(exposed.has(name), `${name} is a tool`).to.equal(true);
  });

  it('grants the read server\'s Apex actions through ForceGate_Agent_Read and the service tools through ForceGate_Agent_Service', () => {
    const read = permissionSet(PERMISSION_SETS.read);
    const service = permissionSet(PERMISSION_SETS.service);
    for (const t of all.get('ForceGate_Read')!.tools) {
      const b = backing(t);
      if (b.kind === 'apex') expect(enabled(read, 'classAccesses', 'apexClass'), `${PERMISSION_SETS.read} grants ${b.name}`).to.include(b.name);
    }
    for (const t of all.get('ForceGate_Service')!.tools) {
      const b = backing(t);
      if (b.kind === 'apex') expect(enabled(service, 'classAccesses', 'apexClass'), `${PERMISSION_SETS.service} grants ${b.name}`).to.include(b.name);
      if (b.kind === 'flow') expect(enabled(service, 'flowAccesses', 'flow'), `${PERMISSION_SETS.service} grants flow ${b.name}`).to.include(b.name);
    }
    const serviceClasses = all.get('ForceGate_Service')!.tools.map((t) => backing(t)).filter((b) => b.kind === 'apex').map((b) => b.name);
    for (const name of serviceClasses) expect(enabled(read, 'classAccesses', 'apexClass'), `${PERMISSION_SETS.read} must not grant write action ${name}`).to.not.include(name);
  });

  it('rejects a wrong annotation (the truthfulness check can fail)', () => {
    const lying: Tool = { ...all.get('ForceGate_Service')!.tools.find((t) => t.toolName === 'escalate_case')!, destructive: false };
    expect(backing(lying).writes).to.equal('modify');
    expect(lying.destructive).to.not.equal(backing(lying).writes === 'modify');
  });
});
