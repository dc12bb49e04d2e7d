/**
 * The deprecation-policy and JSON-schema checks of plugin-org (`snapshot:compare`, `schema:compare`
 * from @oclif/plugin-command-snapshot), in process: the commands and flags must match
 * command-snapshot.json, and each command's result type must match its schemas/*.json. After an
 * intended change, regenerate both with `node bin/dev.js snapshot:generate` and
 * `node bin/dev.js schema:generate` (in sf-plugin/) and review the diff.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createGenerator } from 'ts-json-schema-generator';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMMANDS = join(ROOT, 'src', 'commands');

type FlagLike = { char?: string; aliases?: string[] };
type CommandClass = {
  name: string;
  aliases?: string[];
  flags?: Record<string, FlagLike>;
  baseFlags?: Record<string, FlagLike>;
  enableJsonFlag?: boolean;
};

function commandFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? commandFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const commandId = (file: string): string => relative(COMMANDS, file).replace(/\.ts$/, '').split(sep).join(':');

async function loadCommands(): Promise<Array<{ id: string; file: string; cls: CommandClass }>> {
  const files = commandFiles(COMMANDS).sort();
  return Promise.all(
    files.map(async (file) => ({ id: commandId(file), file, cls: ((await import(file)) as { default: CommandClass }).default })),
  );
}

describe('command snapshot and JSON schemas', () => {
  it('matches command-snapshot.json (commands, flags, short flags, aliases)', async function () {
    this.timeout(120_000);
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string };
    const snapshot = JSON.parse(readFileSync(join(ROOT, 'command-snapshot.json'), 'utf8')) as unknown[];
    const current = (await loadCommands())
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(({ id, cls }) => {
        const flags: Record<string, FlagLike> = { ...(cls.baseFlags ?? {}), ...(cls.flags ?? {}) };
        if (cls.enableJsonFlag !== false) flags.json = {};
        return {
          alias: cls.aliases ?? [],
          command: id,
          flagAliases: Object.values(flags).flatMap((f) => f.aliases ?? []).filter(Boolean).sort(),
          flagChars: Object.values(flags).map((f) => f.char).filter(Boolean).sort(),
          flags: Object.keys(flags).sort(),
          plugin: pjson.name,
        };
      });
    expect(current).to.deep.equal(snapshot);
  });

  it('matches the JSON schema of every command result type', async function () {
    this.timeout(180_000);
    const commands = await loadCommands();
    const generator = createGenerator({ path: join(COMMANDS, '**', '*.ts'), tsconfig: join(ROOT, 'tsconfig.json'), skipTypeCheck: true, type: '*' });
    const schemaFiles = readdirSync(join(ROOT, 'schemas')).sort();
    const expectedFiles: string[] = [];
    for (const { id, file } of commands) {
      const returnType = /async\srun\(\):\sPromise<(.*?)>/.exec(readFileSync(file, 'utf8'))?.[1];
      expect(returnType, `${id} has no typed run()`).to.be.a('string');
      if (returnType === 'void') continue;
      const name = `${id.replaceAll('-', '__').replaceAll(':', '-')}.json`;
      expectedFiles.push(name);
      const stored = JSON.parse(readFileSync(join(ROOT, 'schemas', name), 'utf8')) as unknown;
      expect(JSON.parse(JSON.stringify(generator.createSchema(returnType!))), `schemas/${name}`).to.deep.equal(stored);
    }
    expect(schemaFiles).to.deep.equal(expectedFiles.sort());
  });
});
