import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/**
 * The folder-level import graph of the TypeScript sources, and its cycles.
 *
 * A folder is the directory of a file, inside one package, except that each
 * file directly in the package's src/ is a node of its own: that level holds
 * the entry points (index.ts re-exports every folder, main.ts wires them) and
 * a few leaf modules every folder may use (errors.ts, logger.ts), so lumping
 * them together would make every folder "cyclic". An edge A -> B
 * means some file in A imports (value or type, static or `import()`) a file
 * in B. Type imports count: a cycle through types still ties two folders into
 * one unit that cannot be understood, moved or tested apart. Imports of other
 * packages are not edges (package references are checked by `tsc -b`).
 *
 * Two kinds of import make no edge:
 * - from a subfolder to a folder that contains it (api/acm -> api): a
 *   subfolder is a part of its parent, which composes it (api/router.ts) and
 *   may hold what its parts share (api/context.ts);
 * - from tests (`*.test.ts`) and test support (`testing/` folders): an
 *   integration test beside the store starts the whole control plane, and a
 *   harness reaches every role by design. What ships is what must layer.
 *
 * Sources are read with the TypeScript scanner (`preProcessFile`), not from
 * dist/, where type imports have been erased.
 */

export type FolderGraph = Map<string, Map<string, { from: string; to: string }>>;

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'];

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...listSources(full));
    } else if (SOURCE_EXTENSIONS.some((e) => entry.name.endsWith(e)) && !entry.name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out;
}

function isTestCode(relativePath: string): boolean {
  return /\.test\.[cm]?tsx?$/.test(relativePath) || relativePath.split(path.sep).includes('testing');
}

/** The source file a relative specifier names, as Node16 resolution plus tsc map it (x.js -> x.ts, dir -> dir/index.ts). */
function resolveRelative(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const stem = base.replace(/\.(c|m)?js$/, '');
  const candidates = [base, ...SOURCE_EXTENSIONS.map((e) => stem + e), ...SOURCE_EXTENSIONS.map((e) => path.join(base, 'index' + e))];
  return candidates.find((c) => SOURCE_EXTENSIONS.some((e) => c.endsWith(e)) && fs.existsSync(c) && fs.statSync(c).isFile());
}

/** Builds the graph of the sources under `root` (e.g. a package's src/); folder names are relative to `root`'s parent. */
export function buildFolderGraph(root: string): FolderGraph {
  const graph: FolderGraph = new Map();
  const label = (file: string): string => path.relative(path.dirname(root), path.dirname(file) === root ? file : path.dirname(file));
  for (const file of listSources(root)) {
    const from = label(file);
    if (!graph.has(from)) graph.set(from, new Map());
    if (isTestCode(path.relative(root, file))) continue;
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = resolveRelative(file, ref.fileName);
      if (!target || !target.startsWith(root + path.sep)) continue;
      const to = label(target);
      if (to === from || from.startsWith(to + '/')) continue;
      const edges = graph.get(from)!;
      if (!edges.has(to)) edges.set(to, { from: path.relative(path.dirname(root), file), to: path.relative(path.dirname(root), target) });
    }
  }
  return graph;
}

/** Strongly connected components of more than one folder (Tarjan): the folders tied together by cycles. */
export function cyclicComponents(graph: FolderGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) components.push(comp);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => c.sort());
}

/**
 * One cycle per cyclic component, as the folder path that closes it
 * (`a -> b -> a`); fixing it may reveal another in the same component.
 */
export function findFolderCycles(graph: FolderGraph): string[][] {
  return cyclicComponents(graph).map((comp) => shortestCycle(graph, new Set(comp)));
}

/** A shortest cycle through the component's first folder (breadth-first), as folder names with the closing one repeated. */
function shortestCycle(graph: FolderGraph, comp: Set<string>): string[] {
  const start = [...comp].sort()[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(graph.get(v)?.keys() ?? [])].sort()) {
      if (!comp.has(w)) continue;
      if (w === start) {
        const pathBack = [v];
        while (pathBack[0] !== start) pathBack.unshift(parent.get(pathBack[0]!)!);
        return [...pathBack, start];
      }
      if (!parent.has(w)) { parent.set(w, v); queue.push(w); }
    }
  }
  return [start];
}

/** One line per cycle: the folders, then the import behind each step. */
export function describeCycle(graph: FolderGraph, cycle: string[]): string {
  const steps = cycle.slice(1).map((to, i) => {
    const edge = graph.get(cycle[i]!)?.get(to);
    return edge ? `    ${edge.from} imports ${edge.to}` : '';
  });
  return [cycle.join(' -> '), ...steps].join('\n');
}

/** The src/ folders of the workspace packages under `repoRoot`. */
export function packageSourceRoots(repoRoot: string): string[] {
  const packages = path.join(repoRoot, 'packages');
  return fs.readdirSync(packages)
    .map((p) => path.join(packages, p, 'src'))
    .filter((p) => fs.existsSync(p))
    .sort();
}
