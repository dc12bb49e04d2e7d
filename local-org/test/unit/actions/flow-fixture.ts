/**
 * Helpers for flow tests: inline flow XML, deploying flows (and a permission set granting them) into
 * a test org, and invoking a flow as a user through the same code the REST endpoint uses.
 */
import type { LocalOrg } from '../../../src/local-org.ts';
import { findFlowAction, invokeFlowAction, type ActionResult } from '../../../src/actions/invocable.ts';
import { applyComponents } from '../../../src/metadata/apply.ts';
import type { UserContext } from '../../../src/security/types.ts';
import { userId } from '../../helpers/org.ts';

export interface FlowSpec {
  /** Element and resource XML (variables, assignments, decisions, …), in any order. */
  body: string;
  /** The first element. */
  start?: string;
  label?: string;
  status?: 'Active' | 'Draft';
  processType?: string;
  description?: string;
}

/** A complete autolaunched flow file. */
export function flowXml(spec: FlowSpec): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    <apiVersion>66.0</apiVersion>
    ${spec.body}
    <description>${spec.description ?? 'A test flow.'}</description>
    <label>${spec.label ?? 'Test Flow'}</label>
    <processType>${spec.processType ?? 'AutoLaunchedFlow'}</processType>
    ${spec.start ? `<start><locationX>0</locationX><locationY>0</locationY><connector><targetReference>${spec.start}</targetReference></connector></start>` : ''}
    <status>${spec.status ?? 'Active'}</status>
</Flow>`;
}

/** `<variables>` XML. */
export function variable(
  name: string,
  dataType: string,
  o: { input?: boolean; output?: boolean; collection?: boolean; objectType?: string; value?: string; scale?: number; description?: string } = {},
): string {
  return `<variables>
        <name>${name}</name>
        <dataType>${dataType}</dataType>
        ${o.description ? `<description>${o.description}</description>` : ''}
        <isCollection>${o.collection ? 'true' : 'false'}</isCollection>
        <isInput>${o.input ? 'true' : 'false'}</isInput>
        <isOutput>${o.output ? 'true' : 'false'}</isOutput>
        ${o.objectType ? `<objectType>${o.objectType}</objectType>` : ''}
        ${o.scale !== undefined ? `<scale>${o.scale}</scale>` : ''}
        ${o.value ? `<value>${o.value}</value>` : ''}
    </variables>`;
}

export const str = (v: string): string => `<stringValue>${v}</stringValue>`;
export const numv = (v: number): string => `<numberValue>${v}</numberValue>`;
export const boolv = (v: boolean): string => `<booleanValue>${v}</booleanValue>`;
export const ref = (v: string): string => `<elementReference>${v}</elementReference>`;
export const connector = (target?: string): string => (target ? `<connector><targetReference>${target}</targetReference></connector>` : '');

/** `<assignments>` XML: items are [reference, operator, value XML]. */
export function assignment(name: string, items: [string, string, string][], next?: string): string {
  return `<assignments>
        <name>${name}</name>
        <label>${name}</label>
        <locationX>0</locationX><locationY>0</locationY>
        ${items.map(([r, op, v]) => `<assignmentItems><assignToReference>${r}</assignToReference><operator>${op}</operator><value>${v}</value></assignmentItems>`).join('\n')}
        ${connector(next)}
    </assignments>`;
}

/** Deploys flows (and nothing else) as the system user, as a metadata deploy would. */
export function deployFlows(local: LocalOrg, flows: Record<string, string>): void {
  const components = Object.entries(flows).map(([fullName, xml]) => ({ type: 'Flow', fullName, path: `flows/${fullName}.flow-meta.xml`, xml }));
  local.org.db.transaction(() => applyComponents(local.org, components, local.org.systemUserId))();
}

/** Deploys a permission set granting flow access and assigns it to users. */
export function grantFlows(local: LocalOrg, permissionSet: string, flows: string[], usernames: string[]): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
    ${flows.map((f) => `<flowAccesses><enabled>true</enabled><flow>${f}</flow></flowAccesses>`).join('\n')}
    <label>${permissionSet}</label>
</PermissionSet>`;
  const { org } = local;
  org.db.transaction(() => {
    applyComponents(org, [{ type: 'PermissionSet', fullName: permissionSet, path: `permissionsets/${permissionSet}.permissionset-meta.xml`, xml }], org.systemUserId);
    const ps = org.db.prepare('SELECT Id FROM PermissionSet WHERE Name = ?').get(permissionSet) as { Id: string };
    for (const u of usernames) {
      const uid = userId(local, u);
      const exists = org.db.prepare('SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = ? AND PermissionSetId = ? AND IsDeleted = 0').get(uid, ps.Id);
      if (!exists) org.store.insert(org.schema.get('PermissionSetAssignment')!, { AssigneeId: uid, PermissionSetId: ps.Id, IsActive: true }, org.systemUserId);
    }
  })();
  org.access.invalidate();
}

export function userContext(local: LocalOrg, username: string): UserContext {
  return local.org.access.forUser(userId(local, username))!;
}

/** Invokes a flow action as a user (what POST /actions/custom/flow/{name} does after routing). */
export function runFlow(local: LocalOrg, username: string, flow: string, inputs: Record<string, unknown>[]): ActionResult[] {
  const user = userContext(local, username);
  return invokeFlowAction(local.org, user, findFlowAction(local.org, user, flow), inputs, '65.0');
}

/** The one result of a single-input invocation. */
export function runOne(local: LocalOrg, username: string, flow: string, input: Record<string, unknown> = {}): ActionResult {
  return runFlow(local, username, flow, [input])[0]!;
}

export const ADMIN = 'admin@forcegate.local';
export const REP = 'rep@forcegate.local';
export const REP2 = 'rep2@forcegate.local';
export const MANAGER = 'manager@forcegate.local';
export const AUDITOR = 'auditor@forcegate.local';
