/**
 * Starting and stopping a local org: storage, schema, security, the project's metadata, and the
 * HTTP surfaces (one module per API surface, as Azurite has one handler per service).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiUsageLog } from './audit/api-usage.ts';
import { EventLogFiles } from './audit/event-log-files.ts';
import { HttpFrontDoor } from './http/server.ts';
import { Router } from './http/router.ts';
import { registerIdentity } from './identity/index.ts';
import { bootstrapOrg } from './org/bootstrap.ts';
import { loadConfig } from './org/config.ts';
import type { OrgContext } from './org/context.ts';
import { registerVersions } from './rest/versions.ts';
import { registerSobjects } from './rest/sobjects.ts';
import { registerComposite } from './rest/composite.ts';
import { registerQuery } from './rest/query.ts';
import { registerSearch } from './rest/search.ts';
import { registerActions } from './rest/actions.ts';
import { registerNamedQueries } from './rest/named-query.ts';
import { registerMetadataApi } from './metadata/metadata-api.ts';
import { registerTooling } from './rest/tooling.ts';
import { registerApiCatalog } from './rest/api-catalog.ts';
import { registerApex } from './rest/apex.ts';
import { registerSetup } from './setup/index.ts';
import { OrgSchema } from './schema/registry.ts';
import { AccessService } from './security/access.ts';
import { openDatabase } from './storage/database.ts';
import { RecordStore } from './storage/record-store.ts';

export interface LocalOrgOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** A directory for the SQLite file, or `:memory:`. */
  dataDir: string;
  /** The Salesforce DX project (sfdx-project.json, force-app, config/local-org.json, scripts/data). */
  projectDir: string;
}

export interface LocalOrg {
  url: string;
  org: OrgContext;
  server: Server;
  close(): Promise<void>;
}

export async function startLocalOrg(options: LocalOrgOptions): Promise<LocalOrg> {
  const config = loadConfig(options.projectDir);
  const db = openDatabase(options.dataDir);
  const schema = new OrgSchema();
  const store = new RecordStore(db);
  const usage = new ApiUsageLog(db);
  const org: OrgContext = {
    db,
    schema,
    store,
    usage,
    config,
    projectDir: options.projectDir,
    orgId: config.organization.id,
    baseUrl: '',
    systemUserId: '',
    access: new AccessService(db, schema, () => config.organization.id),
    eventLogs: undefined as unknown as EventLogFiles,
    beforeRead: (objectName) => {
      if (objectName.toLowerCase() === 'eventlogfile') org.eventLogs.refresh();
    },
  };
  org.eventLogs = new EventLogFiles(db, schema, store, usage, () => org.systemUserId);
  bootstrapOrg(org);

  const router = new Router();
  registerVersions(router, org);
  registerSobjects(router, org);
  registerComposite(router, org);
  registerQuery(router, org);
  registerSearch(router, org);
  registerActions(router, org);
  registerNamedQueries(router, org);
  registerMetadataApi(router, org);
  registerApex(router, org);
  registerTooling(router, org);
  registerApiCatalog(router, org);
  const sessions = registerIdentity(router, org);
  registerSetup(router, org);

  const frontDoor = new HttpFrontDoor(org, router, sessions);
  const server = createServer((req, res) => void frontDoor.handle(req, res));
  // Clients (undici, node-fetch agents) reuse idle sockets for several seconds; a server that closes
  // them sooner races the client's next request into ECONNRESET (seen during long deploy polls).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  org.baseUrl = `http://${host}:${port}`;

  return {
    url: org.baseUrl,
    org,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          db.close();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
