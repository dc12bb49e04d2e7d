/**
 * `/services/data` (the version list), `/services/data/vXX.X` (the resource map) and `/limits`.
 */
import type { OrgContext } from '../org/context.ts';
import type { Router } from '../http/router.ts';
import { errors } from '../http/errors.ts';

/** API versions the org serves: 42.0 (test doubles) and 51.0 (hard-coded by @salesforce/core) through 66.0. */
export const API_VERSIONS: { version: string; label: string }[] = [
  ['42.0', "Spring '18"], ['43.0', "Summer '18"], ['44.0', "Winter '19"], ['45.0', "Spring '19"], ['46.0', "Summer '19"],
  ['47.0', "Winter '20"], ['48.0', "Spring '20"], ['49.0', "Summer '20"], ['50.0', "Winter '21"], ['51.0', "Spring '21"],
  ['52.0', "Summer '21"], ['53.0', "Winter '22"], ['54.0', "Spring '22"], ['55.0', "Summer '22"], ['56.0', "Winter '23"],
  ['57.0', "Spring '23"], ['58.0', "Summer '23"], ['59.0', "Winter '24"], ['60.0', "Spring '24"], ['61.0', "Summer '24"],
  ['62.0', "Winter '25"], ['63.0', "Spring '25"], ['64.0', "Summer '25"], ['65.0', "Winter '26"], ['66.0', "Spring '26"],
].map(([version, label]) => ({ version: version!, label: label! }));

export const LATEST_VERSION = API_VERSIONS[API_VERSIONS.length - 1]!.version;

export function isSupportedVersion(version: string | undefined): boolean {
  return version !== undefined && API_VERSIONS.some((v) => v.version === version);
}

/** Throws the platform's 404 for versions the org does not serve. */
export function requireVersion(version: string | undefined): string {
  if (!isSupportedVersion(version)) throw errors.notFound();
  return version!;
}

const RESOURCES = [
  'tooling', 'metadata', 'folders', 'eclair', 'prechatForms', 'jsonxform', 'chatter', 'tabs', 'appMenu', 'quickActions',
  'queryAll', 'commerce', 'wave', 'iot', 'analytics', 'search', 'identity', 'composite', 'parameterizedSearch', 'theme',
  'nouns', 'event', 'serviceTemplates', 'recent', 'connect', 'licensing', 'limits', 'process', 'async-queries', 'query',
  'jobs', 'localizedvalue', 'mobile', 'emailConnect', 'consent', 'tokenizer', 'compactLayouts', 'sobjects', 'actions', 'support',
];

export function registerVersions(router: Router, org: OrgContext): void {
  const list = () => ({
    json: API_VERSIONS.map((v) => ({ label: v.label, url: `/services/data/v${v.version}`, version: v.version })),
  });
  router.add('GET', '/services/data', list, { auth: 'public' });

  router.add(
    'GET',
    '/services/data/:version',
    (ctx) => {
      const version = requireVersion(ctx.apiVersion);
      const session = ctx.requireSession();
      const map: Record<string, string> = {};
      for (const r of RESOURCES) map[r] = `/services/data/v${version}/${r}`;
      map.identity = `${org.baseUrl}/id/${org.orgId}/${session.user.userId}`;
      return { json: map };
    },
    { auth: 'api' },
  );

  router.add(
    'GET',
    '/services/data/:version/limits',
    (ctx) => {
      requireVersion(ctx.apiVersion);
      const used = org.usage.count();
      const limit = (max: number, remaining = max) => ({ Max: max, Remaining: remaining });
      return {
        json: {
          ActiveScratchOrgs: limit(3),
          DailyApiRequests: limit(15000, Math.max(0, 15000 - used)),
          DailyAsyncApexExecutions: limit(250000),
          DailyBulkApiBatches: limit(15000),
          DailyBulkV2QueryJobs: limit(10000),
          DailyBulkV2QueryFileStorageMB: limit(976562),
          DailyDurableStreamingApiEvents: limit(10000),
          DailyGenericStreamingApiEvents: limit(10000),
          DailyStandardVolumePlatformEvents: limit(10000),
          DailyWorkflowEmails: limit(1000),
          DataStorageMB: limit(5),
          FileStorageMB: limit(20),
          HourlyTimeBasedWorkflow: limit(50),
          MassEmail: limit(10),
          SingleEmail: limit(15),
          StreamingApiConcurrentClients: limit(20),
        },
      };
    },
    { auth: 'api' },
  );
}
