#!/usr/bin/env node
// TypeScript types of the agent channel, generated from proto/ with
// proto-loader-gen-types (@grpc/proto-loader) into packages/proto/src/generated/
// before `tsc -b` (the root `npm run build` runs this first). Generated, not
// committed: the .proto files are the one source, so parallel changes to
// them never conflict in generated code (docs/design/dispatcher-protocol.md).
// A file is rewritten only when its content changes, so `tsc -b` stays
// incremental. The options match how packages/proto/src/index.ts loads the
// protos at run time (keepCase, longs as numbers, enums as strings,
// defaults, oneofs).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const protoPackage = path.join(root, 'packages', 'proto');
const out = path.join(protoPackage, 'src', 'generated');
const require = createRequire(path.join(protoPackage, 'package.json'));
const bin = path.join(path.dirname(require.resolve('@grpc/proto-loader/package.json')), 'build', 'bin', 'proto-loader-gen-types.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stevedore-proto-'));
try {
  execFileSync(process.execPath, [
    bin, '--keepCase', '--longs=Number', '--enums=String', '--defaults', '--oneofs', '--grpcLib=@grpc/grpc-js',
    '-I', path.join(root, 'proto'), '-O', tmp, 'stevedore/agent/v1/dispatcher.proto',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  const wanted = new Set();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const from = path.join(dir, e.name);
      if (e.isDirectory()) { walk(from); continue; }
      const rel = path.relative(tmp, from);
      wanted.add(rel);
      const to = path.join(out, rel);
      // proto-loader-gen-types names the source by its path as given: keep it stable.
      const text = fs.readFileSync(from, 'utf8');
      if (fs.existsSync(to) && fs.readFileSync(to, 'utf8') === text) continue;
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.writeFileSync(to, text);
    }
  };
  walk(tmp);
  // Messages removed from the .proto lose their files.
  const prune = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) prune(p);
      else if (!wanted.has(path.relative(out, p))) fs.rmSync(p);
    }
  };
  prune(out);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
