import * as path from 'node:path';
import { buildFolderGraph, describeCycle, findFolderCycles, packageSourceRoots } from './folder-graph';

/**
 * `node test/dist/structure/check-folder-cycles.js`: exits 1 and prints each
 * cycle between folders of a package's sources (type imports included).
 * The unit suite runs the same check (folder-graph.test.ts).
 */
const repoRoot = path.resolve(__dirname, '..', '..', '..');
let found = 0;
for (const root of packageSourceRoots(repoRoot)) {
  const graph = buildFolderGraph(root);
  for (const cycle of findFolderCycles(graph)) {
    found++;
    console.error(`${path.relative(repoRoot, path.dirname(root))}: ${describeCycle(graph, cycle)}`);
  }
}
if (found > 0) {
  console.error(`${found} folder cycle(s)`);
  process.exit(1);
}
console.log('no folder cycles');
