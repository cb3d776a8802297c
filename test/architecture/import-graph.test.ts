// Architecture checks on the sources' import statements (type imports included): the
// framework reaches the engine only through its narrow contract, and no package's src/ has an
// import cycle beyond the one Koa's object graph makes (ctx.app, ctx.request, request.ctx...).
import test from 'ava';
import { cycles, importGraph, importsOf } from './import-graph.js';

const CORE = 'packages/core/src/';
const ENGINE = 'packages/core/src/engine/';
// What the framework may import from the engine: the engine class (with its handler type) and the limits.
// The exchange contract itself lives outside engine/, in http-exchange.ts.
const ENGINE_API = new Set([ENGINE + 'engine.ts', ENGINE + 'limits.ts']);
// Koa's API names these classes in each other's fields (ctx.app, ctx.request, request.ctx,
// request.response, ctx.req...), and the helpers taking a ctx import its type: the one cycle
// left (issue 14, item 3). No other file may join it.
const KOA_OBJECT_GRAPH = [
  'application.ts', 'context.ts', 'cookies.ts', 'error-handler.ts', 'error-pages.ts',
  'koa-middleware.ts', 'node-adapters.ts', 'request.ts', 'respond.ts', 'response.ts',
].map((name) => CORE + name);

test('the framework imports from the engine only engine.ts and limits.ts', (t) => {
  const graph = importGraph();
  const reaching: string[] = [];
  for (const [file, deps] of graph) {
    if (!file.startsWith(CORE) || file.startsWith(ENGINE)) continue;
    for (const dep of deps) if (dep.startsWith(ENGINE) && !ENGINE_API.has(dep)) reaching.push(`${file} -> ${dep}`);
  }
  t.true(graph.size > 0);
  t.deepEqual(reaching, []);
});

// Shared tables and rules the engine and the framework (or the gateways) must agree on, plus the contract.
const ENGINE_MAY_IMPORT = ['errors.ts', 'chars.ts', 'content-rule.ts', 'owned-headers.ts', 'http-exchange.ts'].map((name) => CORE + name);

test('the engine imports nothing of the framework but the errors, the shared tables and rules, and the exchange contract', (t) => {
  const allowed = new Set(ENGINE_MAY_IMPORT);
  const reaching: string[] = [];
  for (const [file, deps] of importGraph()) {
    if (!file.startsWith(ENGINE)) continue;
    for (const dep of deps) if (!dep.startsWith(ENGINE) && dep.startsWith('packages/') && !allowed.has(dep)) reaching.push(`${file} -> ${dep}`);
  }
  t.deepEqual(reaching, []);
});

test('no import cycle in any package src, but for the files of Koa\'s object graph in core', (t) => {
  const found = cycles(importGraph());
  const allowed = new Set(KOA_OBJECT_GRAPH);
  t.deepEqual(found.flat().filter((file) => !allowed.has(file)), []);
});

test('the helpers of the response stand below the object graph: html.ts and response-head.ts are on no cycle', (t) => {
  const graph = importGraph();
  const onCycle = new Set(cycles(graph).flat());
  for (const name of ['html.ts', 'response-head.ts', 'http-exchange.ts', 'symbols.ts', 'header-validation.ts']) {
    t.true(graph.has(CORE + name), name);
    t.false(onCycle.has(CORE + name), name);
  }
});

test('the walker reads type-only, re-export and multi-line imports, and finds the cycle they make', (t) => {
  t.deepEqual(importsOf([
    "import type { A } from './a.js';",
    "import {\n  b,\n  type B,\n} from '../b.js';",
    "export type { C } from './c.js';",
    "import './d.js';",
    "import x from 'node:fs';",
  ].join('\n')), ['./a.js', '../b.js', './c.js', './d.js']);
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  t.deepEqual(cycles(graph), [['a.ts', 'b.ts', 'c.ts']]);
});
