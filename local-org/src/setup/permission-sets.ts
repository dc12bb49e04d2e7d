/**
 * Setup › Permission Sets (`/lightning/setup/PermSets/home`): which users hold which permission sets
 * (profile-owned ones excluded), with Assign/Unassign. Changes are PermissionSetAssignment records
 * inserted or deleted through the DML service as the admin (so the admin's Manage Users permission
 * and the object's rules apply), then `org.access.invalidate()`, so they take effect on the user's
 * next call.
 */
import { deleteRecords, insertRecords, type SaveResult } from '../dml/index.ts';
import type { Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import { setupChange } from './audit.ts';
import { attr, esc, hidden, postForm, redirect, setupPage } from './html.ts';
import type { SetupSessions } from './session.ts';

const HOME = '/lightning/setup/PermSets/home';
const NOTICES: Record<string, string> = {
  assigned: 'Permission set assigned. It applies from the user’s next call.',
  unassigned: 'Permission set unassigned. It no longer applies from the user’s next call.',
};

interface PermSetRow {
  Id: string;
  Name: string;
  Label: string;
}
interface UserRow {
  Id: string;
  Username: string;
  Name: string | null;
  IsActive: number;
  ProfileName: string | null;
}

class DmlRefused extends Error {}

function failed(results: SaveResult[]): string | undefined {
  const errs = results.flatMap((r) => (r.success ? [] : r.errors.map((e) => `${e.statusCode}: ${e.message}`)));
  return errs.length ? errs.join(' ') : undefined;
}

export function registerPermissionSetsPage(router: Router, org: OrgContext, sessions: SetupSessions): void {
  const permSets = () => org.db.prepare('SELECT Id, Name, Label FROM PermissionSet WHERE IsDeleted = 0 AND IsOwnedByProfile = 0 ORDER BY Label').all() as PermSetRow[];
  const users = () =>
    org.db
      .prepare('SELECT u.Id, u.Username, u.Name, u.IsActive, p.Name AS ProfileName FROM "User" u LEFT JOIN Profile p ON p.Id = u.ProfileId WHERE u.IsDeleted = 0 ORDER BY u.Username')
      .all() as UserRow[];
  const assignmentId = (userId: string, psId: string) =>
    (org.db.prepare('SELECT Id FROM PermissionSetAssignment WHERE IsDeleted = 0 AND AssigneeId = ? AND PermissionSetId = ?').get(userId, psId) as { Id: string } | undefined)?.Id;

  const render = (username: string, csrf: string, notice?: string, error?: string, status = 200) => {
    const sets = permSets();
    const assigned = new Set(
      (org.db.prepare('SELECT AssigneeId, PermissionSetId FROM PermissionSetAssignment WHERE IsDeleted = 0').all() as { AssigneeId: string; PermissionSetId: string }[]).map(
        (r) => `${r.AssigneeId}|${r.PermissionSetId}`,
      ),
    );
    const head = sets.map((p) => `<th scope="col"><abbr title="${attr(p.Name)}">${esc(p.Label)}</abbr></th>`).join('');
    const rows = users()
      .map((u) => {
        const cells = sets
          .map((p) => {
            const has = assigned.has(`${u.Id}|${p.Id}`);
            const label = has ? `Unassign ${p.Label} from ${u.Username}` : `Assign ${p.Label} to ${u.Username}`;
            return `<td data-permset="${attr(p.Name)}" data-assigned="${has}">${has ? '<span class="badge on">Assigned</span> ' : ''}${postForm(
              has ? '/lightning/setup/PermSets/unassign' : '/lightning/setup/PermSets/assign',
              csrf,
              `${hidden('userId', u.Id)}${hidden('permissionSetId', p.Id)}<button type="submit" class="${has ? 'danger' : 'secondary'}" aria-label="${attr(label)}">${has ? 'Unassign' : 'Assign'}</button>`,
              { className: 'inline' },
            )}</td>`;
          })
          .join('');
        return `<tr data-user="${attr(u.Username)}"><th scope="row">${esc(u.Name ?? u.Username)}<br><span class="muted">${esc(u.Username)} · ${esc(u.ProfileName ?? '')}${u.IsActive ? '' : ' · inactive'}</span></th>${cells}</tr>`;
      })
      .join('\n');
    const body = `<p>Profiles grant the baseline; permission sets add to it. Changes apply from the user's next call.</p>
<table id="assignments"><caption class="sr-only">Permission set assignments by user</caption><thead><tr><th scope="col">User</th>${head}</tr></thead>
<tbody>
${rows}
</tbody></table>`;
    return setupPage({ title: 'Permission Set Assignments', current: 'PermSets', username, csrf, body, notice, error }, status);
  };

  router.add('GET', HOME, sessions.guard(({ ctx, username, csrf }) => render(username, csrf, NOTICES[ctx.query.get('saved') ?? ''])), { auth: 'public' });

  const change = (assign: boolean) =>
    sessions.guard(({ ctx, user, username, csrf, form }) => {
      const userId = form.get('userId') ?? '';
      const psId = form.get('permissionSetId') ?? '';
      const ps = permSets().find((p) => p.Id === psId);
      const target = users().find((u) => u.Id === userId);
      if (!ps || !target) return render(username, csrf, undefined, 'Choose a user and a permission set.', 400);
      const existing = assignmentId(userId, psId);
      try {
        setupChange(org, ctx, user, { entity: 'PermissionSetAssignment', action: assign ? 'assign' : 'unassign' }, () => {
          if (assign && existing) return;
          if (!assign && !existing) return;
          const results = assign
            ? insertRecords(org, user, 'PermissionSetAssignment', [{ AssigneeId: userId, PermissionSetId: psId }], { allOrNone: true })
            : deleteRecords(org, user, 'PermissionSetAssignment', [existing!], { allOrNone: true });
          const err = failed(results);
          if (err) throw new DmlRefused(err);
        });
      } catch (e) {
        if (e instanceof DmlRefused) return render(username, csrf, undefined, `Not saved: ${e.message}`, 400);
        throw e;
      } finally {
        org.access.invalidate();
      }
      return redirect(`${HOME}?saved=${assign ? 'assigned' : 'unassigned'}`);
    });

  router.add('POST', '/lightning/setup/PermSets/assign', change(true), { auth: 'public' });
  router.add('POST', '/lightning/setup/PermSets/unassign', change(false), { auth: 'public' });
}
