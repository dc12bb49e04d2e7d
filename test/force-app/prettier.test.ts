/**
 * Every Apex class is formatted as prettier-plugin-apex (configured in the root .prettierrc)
 * would format it. Fix with: npx prettier --write "force-app/**\/*.cls"
 */
import { expect } from 'chai';
import * as prettier from 'prettier';
import { metadataFiles, readText, rel } from './support.ts';

async function isFormatted(file: string, source: string): Promise<boolean> {
  const options = await prettier.resolveConfig(file);
  expect(options, `.prettierrc applies to ${rel(file)}`).to.not.equal(null);
  return prettier.check(source, { ...options, filepath: file });
}

describe('force-app: prettier-plugin-apex formatting', function () {
  this.timeout(120_000);
  const classes = metadataFiles('classes', '.cls');

  it('uses the apex parser for .cls files', async () => {
    const options = await prettier.resolveConfig(classes[0]!);
    expect(options?.parser).to.equal('apex');
    expect(options?.plugins).to.include('prettier-plugin-apex');
  });

  it('finds every class already formatted', async () => {
    expect(classes.length).to.be.at.least(10);
    const unformatted: string[] = [];
    for (const file of classes) {
      if (!(await isFormatted(file, readText(file)))) unformatted.push(rel(file));
    }
    expect(unformatted, 'run npx prettier --write "force-app/**/*.cls"').to.deep.equal([]);
  });

  it('notices badly formatted Apex (the check can fail)', async () => {
    const ugly = 'public with sharing class Ugly{public static Integer twice(Integer x){return x*2;}}';
    expect(await isFormatted(classes[0]!, ugly)).to.equal(false);
  });
});
