/**
 * Module resolve hook (registered by node20-register.mjs, Node 20 only): `fs` / `node:fs` imported
 * from inside @modelcontextprotocol/conformance resolves to node20-fs.mjs (node:fs + a `globSync`
 * stub). Every other import, including the package's other `fs` users in its dependencies, is
 * resolved as usual.
 */
import { URL } from 'node:url';

const SHIM = new URL('./node20-fs.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL?.includes('/node_modules/@modelcontextprotocol/conformance/dist/')) {
    return { url: SHIM, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
