// One esbuild bundle per program, from the tsc output (packages/*/dist), with
// the files each needs at run time beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

/** The programs of a release: entry (tsc output), bin name, and what each needs beside its bundle. */
export const PROGRAMS = {
  'control-plane': {
    entry: 'packages/control-plane/dist/main.js',
    bin: 'stevedore-control-plane',
    proto: true,
    sqlite: true,
    // The web console's built files (api/console-route.ts finds them beside the bundle).
    consoleWeb: true,
    // The PostgreSQL store's worker thread (store/backend/postgres-db.ts loads it from beside the bundle).
    workers: ['packages/control-plane/dist/store/backend/postgres-worker.js'],
  },
  agent: { entry: 'packages/agent/dist/main.js', bin: 'stevedore-agent', proto: true, sqlite: false },
  cli: { entry: 'packages/cli/dist/main.js', bin: 'stevedore', proto: false, sqlite: false },
};

/**
 * Parts of dockerode neither the agent nor the control plane uses, replaced by
 * a module that throws if ever called (the same list as the agent's
 * footprint.ts, done at build time here): SSH to dockerd (ssh2 and its
 * optional native crypto), BuildKit sessions, build-context tar and
 * .dockerignore handling; and @grpc/proto-loader, which grpc-js would load
 * only for channelz and ORCA.
 */
const UNUSED = [
  { file: /[\\/]docker-modem[\\/]lib[\\/]ssh\.js$/, what: 'SSH transport to dockerd' },
  { file: /[\\/]dockerode[\\/]lib[\\/]session\.js$/, what: 'BuildKit sessions (buildImage)' },
  { file: /[\\/]node_modules[\\/]tar-fs[\\/]index\.js$/, what: 'tar archives of build contexts (buildImage)' },
  { file: /[\\/]@balena[\\/]dockerignore[\\/][^\\/]+\.js$/, what: '.dockerignore handling (buildImage)' },
  // grpc-js loads it only for channelz and ORCA, from .proto files a bundle does not carry; Stevedore builds its service with protobufjs (@stevedore/proto).
  { file: /[\\/]@grpc[\\/]proto-loader[\\/]build[\\/]src[\\/]index\.js$/, what: 'runtime .proto loading by @grpc/proto-loader (grpc-js channelz, ORCA)' },
];

const unusedModules = {
  name: 'stevedore-unused-modules',
  setup(b) {
    for (const u of UNUSED) {
      b.onLoad({ filter: u.file }, () => ({
        contents: `const refuse = () => { throw new Error(${JSON.stringify(`${u.what} is not part of Stevedore's release build`)}); };
module.exports = new Proxy(refuse, { get: (t, p) => (typeof p === 'string' && p !== 'then' ? refuse : Reflect.get(t, p)) });`,
        loader: 'js',
      }));
    }
  },
};

/**
 * better-sqlite3 finds its addon with the `bindings` package, which searches
 * node_modules layouts. In a release the .node file sits beside the bundle;
 * a mismatched Node.js (the addon is built for one ABI) gets a message that
 * says so instead of a bare dlopen error.
 */
function nativeBindings(abi, nodeMajor) {
  return {
    name: 'stevedore-native-bindings',
    setup(b) {
      b.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'stevedore-native' }));
      b.onLoad({ filter: /.*/, namespace: 'stevedore-native' }, () => ({
        contents: `const path = require('path');
module.exports = (name) => {
  const file = path.join(__dirname, name);
  try {
    return require(file);
  } catch (err) {
    throw new Error(\`cannot load \${file}: \${err.message}. This release was built for Node.js ${nodeMajor} (ABI ${abi}); this is Node.js \${process.versions.node} (ABI \${process.versions.modules}).\`);
  }
};`,
        loader: 'js',
        resolveDir: '.',
      }));
    },
  };
}

export async function bundleProgram(root, key, outDir, buildInfo) {
  const p = PROGRAMS[key];
  fs.mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, 'main.js');
  const result = await build({
    entryPoints: [path.join(root, p.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // The shebang of the entry point is kept (the agent's carries its node flags).
    define: { STEVEDORE_BUILD_INFO: JSON.stringify(buildInfo), STEVEDORE_BUNDLE: 'true' },
    plugins: [unusedModules, nativeBindings(process.versions.modules, process.versions.node.split('.')[0])],
    logLevel: 'error',
    legalComments: 'eof',
    // V8 keeps a script's source in memory: without whitespace the agent's bundle idles at the
    // checkout build's RSS (55.5 MiB here), with it 3 MiB above. Identifiers stay readable for stacks.
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
  });
  fs.chmodSync(outfile, 0o755);
  for (const w of p.workers ?? []) {
    await build({
      entryPoints: [path.join(root, w)],
      outfile: path.join(outDir, path.basename(w)),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      // pg's optional libpq binding: never used (pure JavaScript driver), never shipped.
      external: ['pg-native'],
      logLevel: 'error',
      minifyWhitespace: true,
      minifySyntax: true,
    });
  }
  if (p.proto) fs.cpSync(path.join(root, 'proto'), path.join(outDir, 'proto'), { recursive: true });
  // The web console's built files, served at /console/ (api/console-route.ts finds them beside the bundle).
  if (p.consoleWeb) fs.cpSync(path.join(root, 'packages', 'console', 'web'), path.join(outDir, 'console-web'), { recursive: true });
  if (p.sqlite) {
    const addon = path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    fs.copyFileSync(addon, path.join(outDir, 'better_sqlite3.node'));
  }
  // A native addon anywhere else in the graph would be missing at run time: refuse to ship that.
  const natives = Object.keys(result.metafile.inputs).filter((f) => f.endsWith('.node'));
  if (natives.length) throw new Error(`${key}: the bundle imports native addons it cannot carry: ${natives.join(', ')}`);
  return outfile;
}
