#!/usr/bin/env node
// Runs the TypeScript CLI without a build step, so `npx bluegreen ...` works from a checkout.
require('tsx/cjs');
require('./bluegreen.ts');
