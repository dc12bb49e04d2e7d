/**
 * The services of one running org, handed to every API handler. Storage is behind these objects;
 * handlers never open files or sockets of their own.
 */
import type { ApiUsageLog } from '../audit/api-usage.ts';
import type { EventLogFiles } from '../audit/event-log-files.ts';
import type { OrgSchema } from '../schema/registry.ts';
import type { AccessService } from '../security/access.ts';
import type { Db } from '../storage/database.ts';
import type { RecordStore } from '../storage/record-store.ts';
import type { LocalOrgConfig } from './config.ts';

export interface OrgContext {
  db: Db;
  schema: OrgSchema;
  store: RecordStore;
  access: AccessService;
  usage: ApiUsageLog;
  eventLogs: EventLogFiles;
  config: LocalOrgConfig;
  /** The project whose force-app the org was built from. */
  projectDir: string;
  orgId: string;
  /** `http://127.0.0.1:<port>` once listening: the instance URL, login URL and issuer. */
  baseUrl: string;
  /** Id of the Automated Process-like user that owns system writes (the first admin). */
  systemUserId: string;
  /** Runs before an object's rows are read, so derived objects (EventLogFile) are current. */
  beforeRead(objectName: string): void;
}
