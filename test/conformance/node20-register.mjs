/**
 * `node --import ./test/conformance/node20-register.mjs node_modules/@modelcontextprotocol/conformance/dist/index.js …`
 *
 * Why: @modelcontextprotocol/conformance 0.1.16 does `import { globSync } from 'fs'` at the top of
 * its bundle. `fs.globSync` exists only from Node 22, so on Node 20 (which this project supports,
 * >= 20.19) the CLI dies at import with "The requested module 'fs' does not provide an export named
 * 'globSync'". The bundle uses globSync only in `tier-check` (to find `**\/checks.json`), never in
 * `server` / `list` mode. This registers a resolve hook (node20-hooks.mjs) that hands the conformance
 * package — and nothing else — a copy of node:fs with a `globSync` that throws a clear error.
 * node_modules stays untouched. On Node 22+ nothing is registered.
 */
import fs from 'node:fs';
import { register } from 'node:module';

if (!('globSync' in fs)) register('./node20-hooks.mjs', import.meta.url);
