#!/usr/bin/env node
/**
 * @module scripts/carrier-gateway
 * The `carrier-gateway` command of a checkout: `npx carrier-gateway status` from the project
 * folder (scripts/link-bin.mjs links it into node_modules/.bin when `npm ci` runs `prepare`). It
 * is `npm start` under the program's own name: dist/ brought up to date (incremental, about a
 * second when nothing changed), then the program with the arguments given.
 */
import './start.mjs';
