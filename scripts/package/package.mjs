#!/usr/bin/env node
// npm run package [-- --version X.Y.Z] [--out DIR] [--no-deb]
//
// Builds a release from the tsc build (`npm run build` first): one
// self-contained esbuild bundle per program, a versioned tarball and three
// Debian packages. Nothing in the output needs npm, a compiler or a registry:
// Node.js >= 20 runs the bundles; only the control plane's carries a native
// module (better-sqlite3's .node file, beside its bundle).
//
//   release/stevedore-VERSION-linux-x64.tar.gz   (bin/, lib/, deploy/ with install.sh, examples/, docs/)
//   release/stevedore-control-plane_VERSION_amd64.deb
//   release/stevedore-agent_VERSION_amd64.deb
//   release/stevedore-cli_VERSION_amd64.deb
//
// The version is the root package.json's (or --version); the commit is
// `git rev-parse --short=8 HEAD` (with `-dirty` for uncommitted changes).
// Both are baked into every bundle (`--version`, the agent's versionInfo).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleProgram, PROGRAMS } from './bundle.mjs';
import { buildDebs } from './deb.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv) {
  const o = { version: undefined, out: path.join(ROOT, 'release'), deb: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version') o.version = argv[++i];
    else if (a === '--out') o.out = path.resolve(argv[++i] ?? '');
    else if (a === '--no-deb') o.deb = false;
    else throw new Error(`unknown argument ${a} (usage: npm run package -- [--version X.Y.Z] [--out DIR] [--no-deb])`);
  }
  // Debian versions and our versionInfo both take this shape; nothing else gets into file names.
  if (o.version !== undefined && !/^\d+\.\d+\.\d+([~+.][0-9A-Za-z.+~]+)?$/.test(o.version)) throw new Error(`--version must look like 1.2.3 (optionally 1.2.3~rc1 or 1.2.3+local1), got ${o.version}`);
  return o;
}

function gitCommit() {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short=8', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${hash}-dirty` : hash;
  } catch {
    return 'unknown';
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const version = opts.version ?? JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  const build = { version, commit: gitCommit() };
  for (const p of Object.values(PROGRAMS)) {
    if (!fs.existsSync(path.join(ROOT, p.entry))) throw new Error(`${p.entry} is missing: run npm run build first`);
  }
  const name = `stevedore-${version}-linux-x64`;
  const stage = path.join(opts.out, name);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });

  // lib/<program>/main.js (+ assets), bin/<name> -> ../lib/<program>/main.js
  fs.mkdirSync(path.join(stage, 'bin'));
  for (const [key, p] of Object.entries(PROGRAMS)) {
    await bundleProgram(ROOT, key, path.join(stage, 'lib', key), build);
    fs.symlinkSync(`../lib/${key}/main.js`, path.join(stage, 'bin', p.bin));
  }
  // What install.sh and an operator need besides the programs.
  fs.mkdirSync(path.join(stage, 'deploy'));
  for (const f of ['install.sh', 'stevedore-control-plane.service', 'stevedore-agent.service', 'control-plane.env.example', 'agent.env.example', 'prometheus.yml', 'grafana-dashboard.json']) {
    fs.copyFileSync(path.join(ROOT, 'deploy', f), path.join(stage, 'deploy', f));
  }
  fs.chmodSync(path.join(stage, 'deploy', 'install.sh'), 0o755);
  // The packages' maintainer scripts: install.sh runs them for a tarball install, so both ways behave alike.
  fs.cpSync(path.join(ROOT, 'scripts', 'package', 'debian'), path.join(stage, 'deploy', 'debian'), { recursive: true });
  // Sample task definitions and the registry-free test image the walk-through in docs/running-a-cluster.md uses.
  fs.cpSync(path.join(ROOT, 'examples'), path.join(stage, 'examples'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'test', 'images', 'build-test-image.sh'), path.join(stage, 'examples', 'build-test-image.sh'));
  fs.mkdirSync(path.join(stage, 'docs'));
  fs.copyFileSync(path.join(ROOT, 'docs', 'running-a-cluster.md'), path.join(stage, 'docs', 'running-a-cluster.md'));
  const nodeMajor = process.versions.node.split('.')[0];
  fs.writeFileSync(path.join(stage, 'BUILD-INFO'), `version=${build.version}\ncommit=${build.commit}\nnode-abi=${process.versions.modules}\nnode-major=${nodeMajor}\n`);

  fs.mkdirSync(opts.out, { recursive: true });
  const tarball = path.join(opts.out, `${name}.tar.gz`);
  execFileSync('tar', ['-C', opts.out, '--owner=0', '--group=0', '--numeric-owner', '-czf', tarball, name]);
  const outputs = [tarball];
  if (opts.deb) outputs.push(...buildDebs(ROOT, stage, opts.out, build, nodeMajor));
  for (const f of outputs) process.stdout.write(`${path.relative(process.cwd(), f)}\n`);
}

main().catch((err) => {
  process.stderr.write(`package: ${err.message}\n`);
  process.exit(1);
});
