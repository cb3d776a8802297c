// Architecture checks on the sources' import statements (type imports included): the
// framework reaches the engine only through its narrow contract, and no package's src/ has an
// import cycle: every file stands above what it imports (Koa's object graph links upward through
// the interfaces of object-views.ts).
import test from 'ava';
import { cycles, importGraph, importsOf } from './import-graph.js';

const CORE = 'packages/core/src/';
const ENGINE = 'packages/core/src/engine/';
// What the framework may import from the engine: the engine class (with its handler type) and the limits.
// The exchange contract itself lives outside engine/, in http-exchange.ts.
const ENGINE_API = new Set([ENGINE + 'engine.ts', ENGINE + 'limits.ts']);

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
const ENGINE_MAY_IMPORT = ['errors.ts', 'chars.ts', 'content-rule.ts', 'owned-headers.ts', 'http-exchange.ts', 'pump-body.ts'].map((name) => CORE + name);

test('the engine imports nothing of the framework but the errors, the shared tables and rules, and the exchange contract', (t) => {
  const allowed = new Set(ENGINE_MAY_IMPORT);
  const reaching: string[] = [];
  for (const [file, deps] of importGraph()) {
    if (!file.startsWith(ENGINE)) continue;
    for (const dep of deps) if (!dep.startsWith(ENGINE) && dep.startsWith('packages/') && !allowed.has(dep)) reaching.push(`${file} -> ${dep}`);
  }
  t.deepEqual(reaching, []);
});

test('no import cycle in any package src, type imports included', (t) => {
  const graph = importGraph();
  t.true(graph.has(CORE + 'application.ts'));
  t.deepEqual(cycles(graph), []);
});

// Koa's objects link to each other (ctx.app, request.ctx, response.request...); the links upward
// are typed by object-views.ts, so each file imports only the files below it, in this order.
const KOA_OBJECTS_TOP_DOWN = ['application.ts', 'context.ts', 'request.ts', 'response.ts', 'object-views.ts', 'node-adapters.ts'];

test('Koa\'s objects import only downward: application, context, request, response, their views, the node adapters', (t) => {
  const graph = importGraph();
  const upward: string[] = [];
  KOA_OBJECTS_TOP_DOWN.forEach((name, rank) => {
    const deps = graph.get(CORE + name);
    t.truthy(deps, name);
    for (const above of KOA_OBJECTS_TOP_DOWN.slice(0, rank)) if (deps!.includes(CORE + above)) upward.push(`${name} -> ${above}`);
  });
  t.deepEqual(upward, []);
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
