// Mocha's TypeScript loader (.mocharc.json and scripts/test-unit.sh require it): ts-node transpiling each file
// with swc (no type check here; `npm test` runs tsc first), then cheap stacks for Pulumi's promise tracking.
"use strict";
require("ts-node").register({ swc: true });
require("./promiseStacks");
