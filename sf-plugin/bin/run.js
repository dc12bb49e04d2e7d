#!/usr/bin/env node
// Runs the compiled plugin (lib/) on its own, outside the sf CLI: `node bin/run.js mcp server list`.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
