/**
 * node:fs for @modelcontextprotocol/conformance on Node 20 (see node20-register.mjs): everything
 * node:fs exports, plus `globSync`, which Node 20 lacks. The conformance CLI calls it only in
 * `tier-check`, which ForceGate does not use, so it fails loudly instead of being reimplemented.
 */
import fs from 'node:fs';
import process from 'node:process';

export * from 'node:fs';
export default fs;

export function globSync(pattern) {
  throw new Error(`fs.globSync('${String(pattern)}') is not available on Node ${process.versions.node} (Node 22+); the conformance CLI's server and list commands do not need it`);
}
