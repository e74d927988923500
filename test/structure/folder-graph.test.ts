import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildFolderGraph, describeCycle, findFolderCycles, packageSourceRoots } from './folder-graph';

const made: string[] = [];
after(() => { for (const dir of made) fs.rmSync(dir, { recursive: true, force: true }); });

/** A throwaway src/ tree: file path -> content. */
function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folder-graph-'));
  made.push(dir);
  const root = path.join(dir, 'src');
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

test('a cycle made of a type import and an import() type query is found, with the imports behind it', () => {
  const root = tree({
    'model/task.ts': "import type { Policy } from '../validation/policy';\nexport interface Task { p: Policy }\n",
    'validation/policy.ts': "export interface Policy { t: import('../model/task').Task }\n",
  });
  const graph = buildFolderGraph(root);
  const cycles = findFolderCycles(graph);
  assert.deepEqual(cycles, [['src/model', 'src/validation', 'src/model']]);
  const text = describeCycle(graph, cycles[0]!);
  assert.match(text, /src\/model\/task\.ts imports src\/validation\/policy\.ts/);
  assert.match(text, /src\/validation\/policy\.ts imports src\/model\/task\.ts/);
});

test('re-exports, index folders and .js specifiers resolve; a longer cycle is reported whole', () => {
  const root = tree({
    'a/one.ts': "export * from '../b';\n",
    'b/index.ts': "export { c } from '../c/c.js';\n",
    'c/c.ts': "import { one } from '../a/one';\nexport const c = one;\n",
    'd/free.ts': "import { c } from '../c/c';\nexport const d = c;\n",
  });
  assert.deepEqual(findFolderCycles(buildFolderGraph(root)), [['src/a', 'src/b', 'src/c', 'src/a']]);
});

test('no cycle: one-way edges, a subfolder using its parent, tests and testing/ reaching across', () => {
  const root = tree({
    'api/router.ts': "import { acm } from './acm/acm';\nexport const r = acm;\n",
    'api/context.ts': 'export interface Ctx { x: number }\n',
    'api/acm/acm.ts': "import type { Ctx } from '../context';\nexport const acm = (c: Ctx) => c;\n",
    'store/store.ts': "export const store = 1;\n",
    'store/store.test.ts': "import { r } from '../api/router';\n",
    'api/api.test.ts': "import { harness } from '../testing/harness';\n",
    'testing/harness.ts': "import { r } from '../api/router';\nexport const harness = r;\n",
    'api/uses-store.ts': "import { store } from '../store/store';\n",
    'index.ts': "export * from './api/router';\n",
    'errors.ts': "export class E extends Error {}\n",
    'api/err.ts': "import { E } from '../errors';\n",
  });
  assert.deepEqual(findFolderCycles(buildFolderGraph(root)), []);
});

test('the files directly in src/ are nodes of their own: a folder and the barrel that re-exports it are not a cycle, a folder importing the barrel is', () => {
  const ok = tree({ 'index.ts': "export * from './a/a';\n", 'a/a.ts': "import { E } from '../errors';\nexport const a = E;\n", 'errors.ts': 'export const E = 1;\n' });
  assert.deepEqual(findFolderCycles(buildFolderGraph(ok)), []);
  const bad = tree({ 'index.ts': "export * from './a/a';\nexport const E = 1;\n", 'a/a.ts': "import { E } from '../index';\nexport const a = E;\n" });
  assert.deepEqual(findFolderCycles(buildFolderGraph(bad)), [['src/a', 'src/index.ts', 'src/a']]);
});

test('the packages of this repository have no cycles between folders (type imports included)', () => {
  const repoRoot = path.resolve(__dirname, '..', '..', '..');
  const roots = packageSourceRoots(repoRoot);
  assert.ok(roots.length >= 5, `expected the workspace packages under ${repoRoot}/packages`);
  const found: string[] = [];
  for (const root of roots) {
    const graph = buildFolderGraph(root);
    for (const cycle of findFolderCycles(graph)) found.push(`${path.relative(repoRoot, path.dirname(root))}: ${describeCycle(graph, cycle)}`);
  }
  assert.deepEqual(found, [], `folder cycles:\n${found.join('\n')}`);
});
