/**
 * Metadata API format ↔ components: package.xml, object files split into the object and its
 * CustomFields (and joined back), the problems a zip can have, zips themselves.
 */
import { expect } from 'chai';
import {
  buildPackageXml,
  buildRetrieveFiles,
  joinObjectFile,
  parsePackageXml,
  readDeployPackage,
  splitObjectFile,
} from '../../../src/metadata/mdapi-format.ts';
import { parseCustomField, parseCustomObject } from '../../../src/metadata/objects.ts';
import { reindent, splitChildren } from '../../../src/metadata/xml-raw.ts';
import { readZip, writeZip } from '../../../src/metadata/zip.ts';
import { APEX_META } from '../../helpers/project.ts';

const NS = 'http://soap.sforce.com/2006/04/metadata';

const OBJECT_FILE = `<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="${NS}">
    <compactLayouts>
        <fullName>Compact</fullName>
        <fields>Name</fields>
        <label>Compact</label>
    </compactLayouts>
    <fields>
        <fullName>Status__c</fullName>
        <label>Status</label>
        <type>Picklist</type>
        <valueSet>
            <restricted>true</restricted>
            <valueSetDefinition>
                <sorted>false</sorted>
                <value>
                    <fullName>Draft</fullName>
                    <default>true</default>
                    <label>Draft</label>
                </value>
                <value>
                    <fullName>Closed</fullName>
                    <default>false</default>
                    <label>Closed &amp; done</label>
                </value>
            </valueSetDefinition>
        </valueSet>
    </fields>
    <fields>
        <fullName>Score__c</fullName>
        <label>Score</label>
        <precision>3</precision>
        <scale>0</scale>
        <type>Number</type>
    </fields>
    <!-- a comment -->
    <label>Plan</label>
    <nameField>
        <label>Plan Name</label>
        <type>Text</type>
    </nameField>
    <pluralLabel>Plans</pluralLabel>
    <sharingModel>Private</sharingModel>
</CustomObject>
`;

function pkg(types: Record<string, string[]>, version = '65.0'): string {
  return buildPackageXml({ types: Object.entries(types).map(([name, members]) => ({ name, members })), version });
}

describe('metadata: Metadata API format', () => {
  describe('package.xml', () => {
    it('round-trips types, members and version', () => {
      const xml = pkg({ ApexClass: ['B', 'A'], CustomObject: ['*'] });
      expect(xml).to.contain('<members>A</members>');
      const parsed = parsePackageXml(xml);
      expect(parsed.version).to.equal('65.0');
      expect(parsed.types).to.deep.include({ name: 'ApexClass', members: ['A', 'B'] });
      expect(parsed.types).to.deep.include({ name: 'CustomObject', members: ['*'] });
    });
  });

  describe('object files', () => {
    it('split into the object (without fields) and one CustomField document per field', () => {
      const { objectXml, fields } = splitObjectFile(OBJECT_FILE);
      expect([...fields.keys()]).to.deep.equal(['Status__c', 'Score__c']);
      expect(objectXml).not.to.match(/<fields>\s*<fullName>/);
      // The compact layout's own <fields> element is not a field.
      expect(objectXml).to.contain('<fields>Name</fields>');
      expect(parseCustomObject('Plan__c', objectXml)).to.include({ label: 'Plan', sharingModel: 'Private' });
      const status = parseCustomField('Plan__c', fields.get('Status__c')!);
      expect(status.type).to.equal('picklist');
      expect(status.picklistValues!.map((v) => v.label)).to.deep.equal(['Draft', 'Closed & done']);
      expect(fields.get('Status__c')).to.match(/^<\?xml[^>]*>\n<CustomField xmlns="[^"]+">\n {4}<fullName>Status__c<\/fullName>/);
      expect(parseCustomField('Plan__c', fields.get('Score__c')!)).to.include({ type: 'double', precision: 3 });
    });

    it('join back into one file with the same object and fields', () => {
      const { objectXml, fields } = splitObjectFile(OBJECT_FILE);
      const joined = joinObjectFile(objectXml, [...fields.values()]);
      const again = splitObjectFile(joined);
      expect([...again.fields.keys()].sort()).to.deep.equal(['Score__c', 'Status__c']);
      expect(parseCustomField('Plan__c', again.fields.get('Status__c')!)).to.deep.equal(parseCustomField('Plan__c', fields.get('Status__c')!));
      expect(parseCustomObject('Plan__c', again.objectXml)).to.deep.equal(parseCustomObject('Plan__c', objectXml));
    });

    it('keeps nested indentation consistent', () => {
      expect(reindent('<a>\n        <b>1</b>\n    </a>', '  ')).to.equal('  <a>\n      <b>1</b>\n  </a>');
      const doc = splitChildren('<R><x>1</x><y/><z a="1>2">t</z></R>');
      expect(doc.children.map((c) => c.name)).to.deep.equal(['x', 'y', 'z']);
      expect(doc.children[2]!.inner).to.equal('t');
    });
  });

  describe('deploy packages', () => {
    it('turn every file the manifest names into components', () => {
      const entries = new Map([
        ['package.xml', pkg({ ApexClass: ['Hello'], CustomObject: ['Plan__c'], Flow: ['*'] })],
        ['classes/Hello.cls', 'public class Hello {}'],
        ['classes/Hello.cls-meta.xml', APEX_META],
        ['objects/Plan__c.object', OBJECT_FILE],
        ['flows/One.flow', `<?xml version="1.0"?><Flow xmlns="${NS}"><label>One</label></Flow>`],
        ['flows/Two.flow', `<?xml version="1.0"?><Flow xmlns="${NS}"><label>Two</label></Flow>`],
      ]);
      const p = readDeployPackage(entries);
      expect(p.problems).to.deep.equal([]);
      expect(p.components.map((c) => `${c.type}:${c.fullName}`).sort()).to.deep.equal([
        'ApexClass:Hello',
        'CustomField:Plan__c.Score__c',
        'CustomField:Plan__c.Status__c',
        'CustomObject:Plan__c',
        'Flow:One',
        'Flow:Two',
      ]);
      const cls = p.components.find((c) => c.type === 'ApexClass')!;
      expect(cls.body).to.equal('public class Hello {}');
      expect(cls.xml).to.equal(APEX_META);
      expect(cls.fileName).to.equal('classes/Hello.cls');
    });

    it('read a package under a folder (SDR --metadata-dir zips use zip/)', () => {
      const p = readDeployPackage(
        new Map([
          ['zip/package.xml', pkg({ ApexClass: ['Hello'] })],
          ['zip/classes/Hello.cls', 'public class Hello {}'],
          ['zip/classes/Hello.cls-meta.xml', APEX_META],
        ]),
      );
      expect(p.root).to.equal('zip/');
      expect(p.components[0]).to.include({ fullName: 'Hello', fileName: 'zip/classes/Hello.cls' });
    });

    it('deploy only the named fields of an object file', () => {
      const p = readDeployPackage(new Map([['package.xml', pkg({ CustomField: ['Plan__c.Score__c'] })], ['objects/Plan__c.object', OBJECT_FILE]]));
      expect(p.components.map((c) => c.fullName)).to.deep.equal(['Plan__c.Score__c']);
    });

    it('report unknown types, missing files and malformed XML as component problems', () => {
      const p = readDeployPackage(
        new Map([
          ['package.xml', pkg({ ApexTrigger: ['T'], ApexClass: ['Missing', 'NoMeta'], Flow: ['Bad'] })],
          ['classes/NoMeta.cls', 'public class NoMeta {}'],
          ['flows/Bad.flow', `<?xml version="1.0"?>\n<Flow xmlns="${NS}">\n  <label>Bad</label>\n</Flo>`],
        ]),
      );
      const byName = Object.fromEntries(p.problems.map((x) => [x.fullName, x]));
      expect(byName.T).to.include({ componentType: 'ApexTrigger', problem: "Unknown type name 'ApexTrigger' specified in package.xml", problemType: 'Error' });
      expect(byName.Missing!.problem).to.equal("An object 'Missing' of type ApexClass was named in package.xml, but was not found in zipped directory");
      expect(byName.NoMeta!.problem).to.contain('classes/NoMeta.cls-meta.xml');
      expect(byName.Bad!.problem).to.match(/^Error parsing file: /);
      expect(byName.Bad!.lineNumber).to.equal(4);
      expect(p.components).to.deep.equal([]);
    });

    it('read destructive changes', () => {
      const p = readDeployPackage(
        new Map([
          ['package.xml', pkg({})],
          ['destructiveChanges.xml', pkg({ ApexClass: ['Old'] })],
        ]),
      );
      expect(p.deletions).to.deep.equal([{ type: 'ApexClass', fullName: 'Old' }]);
    });
  });

  describe('retrieve files', () => {
    it('lay components out in Metadata API format', () => {
      const { objectXml, fields } = splitObjectFile(OBJECT_FILE);
      const files = buildRetrieveFiles(
        [
          { type: 'ApexClass', fullName: 'Hello', path: '', xml: APEX_META, body: 'public class Hello {}' },
          { type: 'CustomObject', fullName: 'Plan__c', path: '', xml: objectXml },
          { type: 'CustomField', fullName: 'Plan__c.Status__c', path: '', xml: fields.get('Status__c')! },
          { type: 'McpServerDefinition', fullName: 'S', path: '', xml: `<McpServerDefinition xmlns="${NS}"/>` },
        ],
        () => undefined,
      );
      expect(files.map((f) => f.path)).to.deep.equal([
        'classes/Hello.cls',
        'classes/Hello.cls-meta.xml',
        'mcpServerDefinitions/S.mcpServerDefinition',
        'objects/Plan__c.object',
      ]);
      const obj = splitObjectFile(files[3]!.content);
      expect([...obj.fields.keys()]).to.deep.equal(['Status__c']);
    });
  });

  describe('zips', () => {
    it('round-trip text files', async () => {
      const zip = await writeZip([
        { path: 'package.xml', content: '<Package/>' },
        { path: 'classes/A.cls', content: 'é ünïcode' },
      ]);
      const files = await readZip(zip);
      expect(Object.fromEntries(files)).to.deep.equal({ 'package.xml': '<Package/>', 'classes/A.cls': 'é ünïcode' });
    });

    it('refuse what is not a zip', async () => {
      let error: Error | undefined;
      await readZip(Buffer.from('not a zip')).catch((e: Error) => (error = e));
      expect(error?.message).to.match(/not valid/);
    });
  });
});
