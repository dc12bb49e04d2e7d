/**
 * `config/local-org.json`: the local org's users, roles and the consumer keys it gives the
 * project's External Client Apps (development only).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Persona = 'admin' | 'sales-rep' | 'auditor' | 'outsider';

export interface UserConfig {
  username: string;
  password: string;
  persona: Persona;
  firstName: string;
  lastName: string;
  email: string;
  title?: string;
  profile: string;
  permissionSets: string[];
  role: string | null;
  manager?: string;
  active?: boolean;
}

export interface LocalOrgConfig {
  organization: { id: string; name: string; edition: string; instanceName: string; timeZone: string };
  roles: { developerName: string; name: string; parent?: string }[];
  users: UserConfig[];
  clients: Record<string, { consumerKey: string }>;
  /**
   * Base URL of the ForceGate MCP server, which the org cannot know by itself: the API Catalog's
   * `serverUrl`s are built from it (`<mcpServerUrl>/platform/mcp/v1/…`). Default `http://127.0.0.1:6102`.
   */
  mcpServerUrl?: string;
}

export const DEFAULT_MCP_SERVER_URL = 'http://127.0.0.1:6102';

export function loadConfig(projectDir: string): LocalOrgConfig {
  const file = join(projectDir, 'config', 'local-org.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as LocalOrgConfig;
  const personas: Persona[] = ['admin', 'sales-rep', 'auditor', 'outsider'];
  for (const u of config.users) {
    if (!personas.includes(u.persona)) throw new Error(`${file}: user ${u.username} has unknown persona ${u.persona}`);
  }
  if (!config.users.some((u) => u.persona === 'admin')) throw new Error(`${file}: at least one admin user is required`);
  return config;
}
