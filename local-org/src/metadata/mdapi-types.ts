/**
 * The metadata types the local org knows, with their Metadata API (MDAPI) file layout: the
 * directory and suffix of a component in a deploy/retrieve zip, and whether its content lives in a
 * separate file next to a `-meta.xml` (ApexClass). Names, directories and suffixes are those of the
 * Metadata API (the same as source-deploy-retrieve's registry).
 *
 * `applied` types change the org (schema, permissions, tooling objects, OAuth apps, MCP servers);
 * `stored` types are kept in `_metadata` and returned by retrieve but have no effect on the local
 * org (layouts, tabs, profiles, …). Any other type name in a package.xml is refused, as the
 * platform refuses a name it does not know.
 */

export interface MdapiType {
  name: string;
  directory: string;
  suffix: string;
  /** Content file (`classes/X.cls`) plus `classes/X.cls-meta.xml`. */
  metaFile?: boolean;
  /** Lives inside its parent's file (CustomField inside `objects/<Object>.object`). */
  parent?: string;
  /** The XML element of the parent file holding this child type (`fields`). */
  childElement?: string;
  kind: 'applied' | 'stored';
}

const TYPES: MdapiType[] = [
  { name: 'CustomObject', directory: 'objects', suffix: 'object', kind: 'applied' },
  { name: 'CustomField', directory: 'objects', suffix: 'object', parent: 'CustomObject', childElement: 'fields', kind: 'applied' },
  { name: 'ApexClass', directory: 'classes', suffix: 'cls', metaFile: true, kind: 'applied' },
  { name: 'Flow', directory: 'flows', suffix: 'flow', kind: 'applied' },
  { name: 'PermissionSet', directory: 'permissionsets', suffix: 'permissionset', kind: 'applied' },
  { name: 'ApiNamedQuery', directory: 'apiNamedQueries', suffix: 'apiNamedQuery', kind: 'applied' },
  { name: 'McpServerDefinition', directory: 'mcpServerDefinitions', suffix: 'mcpServerDefinition', kind: 'applied' },
  { name: 'ExternalClientApplication', directory: 'externalClientApps', suffix: 'eca', kind: 'applied' },
  { name: 'ExtlClntAppGlobalOauthSettings', directory: 'extlClntAppGlobalOauthSets', suffix: 'ecaGlblOauth', kind: 'applied' },
  { name: 'ExtlClntAppOauthSettings', directory: 'extlClntAppOauthSettings', suffix: 'ecaOauth', kind: 'applied' },
  { name: 'ExtlClntAppConfigurablePolicies', directory: 'extlClntAppPolicies', suffix: 'ecaPlcy', kind: 'applied' },
  { name: 'ExtlClntAppOauthConfigurablePolicies', directory: 'extlClntAppOauthPolicies', suffix: 'ecaOauthPlcy', kind: 'applied' },
  // Kept and retrievable, no effect on the local org.
  { name: 'Profile', directory: 'profiles', suffix: 'profile', kind: 'stored' },
  { name: 'PermissionSetGroup', directory: 'permissionsetgroups', suffix: 'permissionsetgroup', kind: 'stored' },
  { name: 'FlowDefinition', directory: 'flowDefinitions', suffix: 'flowDefinition', kind: 'stored' },
  { name: 'Layout', directory: 'layouts', suffix: 'layout', kind: 'stored' },
  { name: 'CustomTab', directory: 'tabs', suffix: 'tab', kind: 'stored' },
  { name: 'CustomApplication', directory: 'applications', suffix: 'app', kind: 'stored' },
];

const BY_NAME = new Map(TYPES.map((t) => [t.name.toLowerCase(), t]));

export function mdapiTypes(): readonly MdapiType[] {
  return TYPES;
}

/** The type by its exact API name (package.xml names are case-sensitive on the platform). */
export function mdapiType(name: string): MdapiType | undefined {
  const t = BY_NAME.get(name.toLowerCase());
  return t && t.name === name ? t : undefined;
}

/** The top-level (file-owning) type stored in `directory` with `suffix`. */
export function typeForFile(directory: string, suffix: string): MdapiType | undefined {
  return TYPES.find((t) => !t.parent && t.directory === directory && t.suffix === suffix);
}

/** Path of a component's main file inside a package (`classes/X.cls`, `objects/Account.object`). */
export function componentFile(type: MdapiType, fullName: string): string {
  if (type.parent) {
    const parent = mdapiType(type.parent)!;
    return `${parent.directory}/${fullName.split('.')[0]}.${parent.suffix}`;
  }
  return `${type.directory}/${fullName}.${type.suffix}`;
}
