#!/usr/bin/env node
// Development entry: oclif finds tsx (root devDependency) and runs src/ directly, and loads the
// devPlugins (snapshot:generate, schema:generate, snapshot:compare, schema:compare).
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
