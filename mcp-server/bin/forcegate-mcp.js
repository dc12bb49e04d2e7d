#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (the workspace runs TypeScript directly; nothing is compiled).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
