/**
 * Every force-app file converts to Metadata API format with @salesforce/source-deploy-retrieve,
 * the library behind `sf project convert source`, with every type known to its registry.
 *
 * McpServerDefinition: the registry bundled with SDR 12.37.2 (the version @salesforce/cli 2.146.3
 * ships) already lists it (directory mcpServerDefinitions, suffix mcpServerDefinition), so the
 * project needs no customization. Older SDR versions did not know the type; for them SDR merges
 * `registryCustomizations` from sfdx-project.json into its registry (getEffectiveRegistry), which
 * is also what `sf project convert source` does. `registryFor()` below applies exactly that entry
 * when the bundled registry lacks the type, so the check never silently drops McpServerDefinition,
 * and a dedicated test proves the fallback converts the servers too.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  ComponentSet,
  MetadataConverter,
  RegistryAccess,
  type MetadataRegistry,
  type SourceComponent,
} from '@salesforce/source-deploy-retrieve';
import { getEffectiveRegistry, firstLevelMerge } from '@salesforce/source-deploy-retrieve/lib/src/registry/variants.js';
import { FORCE_APP, PROJECT_DIR, listFiles, rel } from './support.ts';

/** The registry entry a project would put in sfdx-project.json `registryCustomizations`. */
const MCP_SERVER_DEFINITION_CUSTOMIZATION = {
  types: {
    mcpserverdefinition: {
      id: 'mcpserverdefinition',
      name: 'McpServerDefinition',
      directoryName: 'mcpServerDefinitions',
      suffix: 'mcpServerDefinition',
      inFolder: false,
      strictDirectoryName: false,
    },
  },
  suffixes: { mcpServerDefinition: 'mcpserverdefinition' },
  strictDirectoryNames: {},
  childTypes: {},
} as unknown as MetadataRegistry;

function registryFor(base: MetadataRegistry): { registry: MetadataRegistry; customized: boolean } {
  if (base.types.mcpserverdefinition) return { registry: base, customized: false };
  return { registry: firstLevelMerge(base, MCP_SERVER_DEFINITION_CUSTOMIZATION), customized: true };
}

const EXPECTED_MINIMUM: Record<string, number> = {
  ApexClass: 5,
  Flow: 2,
  ApiNamedQuery: 3,
  McpServerDefinition: 2,
  ExternalClientApplication: 4,
  ExtlClntAppGlobalOauthSettings: 4,
  ExtlClntAppOauthSettings: 4,
  ExtlClntAppConfigurablePolicies: 4,
  ExtlClntAppOauthConfigurablePolicies: 4,
  PermissionSet: 4,
  CustomObject: 5,
  CustomField: 7,
};

function sourceApiVersion(): string {
  const project = JSON.parse(readFileSync(join(PROJECT_DIR, 'sfdx-project.json'), 'utf8')) as { sourceApiVersion: string };
  return project.sourceApiVersion;
}

function countByType(components: SourceComponent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (c: SourceComponent): void => {
    counts[c.type.name] = (counts[c.type.name] ?? 0) + 1;
    for (const child of c.getChildren()) add(child);
  };
  components.forEach(add);
  return counts;
}

describe('force-app: conversion with source-deploy-retrieve', () => {
  const { registry, customized } = registryFor(getEffectiveRegistry({ projectDir: PROJECT_DIR }) as MetadataRegistry);
  const registryAccess = new RegistryAccess(registry, PROJECT_DIR);
  let outputDir: string;
  let components: SourceComponent[];

  before(() => {
    outputDir = mkdtempSync(join(tmpdir(), 'forcegate-convert-'));
  });
  after(() => {
    rmSync(outputDir, { recursive: true, force: true });
  });

  it('sfdx-project.json targets API 65.0 or later', () => {
    expect(Number(sourceApiVersion())).to.be.at.least(65);
  });

  it('knows McpServerDefinition (bundled registry, or the registryCustomizations entry)', () => {
    const type = registryAccess.getTypeByName('McpServerDefinition');
    expect(type.directoryName).to.equal('mcpServerDefinitions');
    expect(type.suffix).to.equal('mcpServerDefinition');
    // Documents which path this SDR version takes; both are acceptable.
    expect(customized, 'bundled SDR registry lists McpServerDefinition').to.be.a('boolean');
  });

  it('resolves every file under force-app to a known metadata type', () => {
    // fromSource throws (TypeInferenceError) on a file whose type the registry does not know.
    const set = ComponentSet.fromSource({ fsPaths: [FORCE_APP], registry: registryAccess });
    components = set.getSourceComponents().toArray();
    const claimed = new Set<string>();
    const claim = (c: SourceComponent): void => {
      if (c.xml) claimed.add(c.xml);
      if (c.content) {
        if (statSync(c.content).isDirectory()) listFiles(c.content).forEach((f) => claimed.add(f));
        else claimed.add(c.content);
      }
      for (const child of c.getChildren()) claim(child);
    };
    components.forEach(claim);
    const unclaimed = listFiles(FORCE_APP).filter((f) => !claimed.has(f)).map(rel);
    expect(unclaimed, 'files no metadata component owns').to.deep.equal([]);

    const counts = countByType(components);
    for (const [type, minimum] of Object.entries(EXPECTED_MINIMUM)) {
      expect(counts[type] ?? 0, `${type} components`).to.be.at.least(minimum);
    }
  });

  it('converts to Metadata API format with a package.xml listing every type', async () => {
    const set = ComponentSet.fromSource({ fsPaths: [FORCE_APP], registry: registryAccess });
    set.sourceApiVersion = sourceApiVersion();
    const result = await new MetadataConverter(registryAccess).convert(set, 'metadata', {
      type: 'directory',
      outputDirectory: outputDir,
      genUniqueDir: false,
    });
    expect(result.packagePath).to.be.a('string');
    const manifest = readFileSync(join(result.packagePath!, 'package.xml'), 'utf8');
    for (const type of Object.keys(EXPECTED_MINIMUM)) {
      expect(manifest, `package.xml lists ${type}`).to.include(`<name>${type}</name>`);
    }
    expect(manifest).to.include(`<version>${sourceApiVersion()}</version>`);
    for (const file of [
      'mcpServerDefinitions/ForceGate_Read.mcpServerDefinition',
      'mcpServerDefinitions/ForceGate_Service.mcpServerDefinition',
      'apiNamedQueries/OpenCasesByAccount.apiNamedQuery',
      'externalClientApps/ForceGate_Claude.eca',
      'extlClntAppGlobalOauthSets/ForceGate_Claude.ecaGlblOauth',
      'extlClntAppOauthPolicies/ForceGate_Claude.ecaOauthPlcy',
      'flows/Escalate_Case.flow',
      'classes/AccountHealthSummary.cls',
      'objects/Account.object',
      'permissionsets/ForceGate_Agent_Read.permissionset',
    ]) {
      expect(existsSync(join(result.packagePath!, file)), `${file} written`).to.equal(true);
    }
  });

  it('would still convert McpServerDefinition through registryCustomizations if the bundled registry lacked it', async () => {
    const base = JSON.parse(JSON.stringify(getEffectiveRegistry({ projectDir: PROJECT_DIR }))) as MetadataRegistry;
    delete (base.types as Record<string, unknown>).mcpserverdefinition;
    delete (base.suffixes as Record<string, unknown>).mcpServerDefinition;
    expect(() => new RegistryAccess(base).getTypeByName('McpServerDefinition')).to.throw();

    const fallback = registryFor(base);
    expect(fallback.customized).to.equal(true);
    const access = new RegistryAccess(fallback.registry, PROJECT_DIR);
    const set = ComponentSet.fromSource({ fsPaths: [join(FORCE_APP, 'main', 'default', 'mcpServerDefinitions')], registry: access });
    const names = set.getSourceComponents().toArray().map((c) => `${c.type.name}:${c.fullName}`);
    expect(names).to.have.members(['McpServerDefinition:ForceGate_Read', 'McpServerDefinition:ForceGate_Service']);
    const out = mkdtempSync(join(tmpdir(), 'forcegate-convert-mcp-'));
    try {
      const result = await new MetadataConverter(access).convert(set, 'metadata', { type: 'directory', outputDirectory: out, genUniqueDir: false });
      expect(existsSync(join(result.packagePath!, 'mcpServerDefinitions', 'ForceGate_Read.mcpServerDefinition'))).to.equal(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
