import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AGENT_NODE_FLAGS } from './node-flags';

const REPO = path.resolve(__dirname, '..', '..', '..');
const read = (rel: string) => readFileSync(path.join(REPO, rel), 'utf8');
const FLAGS = AGENT_NODE_FLAGS.join(' ');
const QUOTED = AGENT_NODE_FLAGS.map((f) => `'${f}'`).join(', ');

test('every way the agent is started passes the same node flags', () => {
  assert.equal(read('packages/agent/bin/stevedore-agent.js').split('\n')[0], `#!/usr/bin/env -S node ${FLAGS}`);
  // The release bundle keeps dist/main.js's shebang, and /usr/bin/stevedore-agent links to the bundle: it carries the flags too.
  assert.equal(read('packages/agent/src/main.ts').split('\n')[0], `#!/usr/bin/env -S node ${FLAGS}`);
  assert.match(read('deploy/stevedore-agent.service'), new RegExp(`^ExecStart=/usr/bin/env node ${FLAGS} /usr/bin/stevedore-agent `, 'm'));
  assert.ok(read('scripts/local-cluster.sh').includes(`setsid node ${FLAGS} "$ROOT/packages/agent/dist/main.js"`), 'scripts/local-cluster.sh');
  assert.ok(read('packages/control-plane/src/capacity/local-provisioner.ts').includes(`const AGENT_NODE_FLAGS = [${QUOTED}];`), 'local host-group provisioner');
  assert.ok(read('test/helpers/cluster.ts').includes(`export const AGENT_NODE_FLAGS = [${QUOTED}];`), 'test harness');
});

test('node accepts the flags', () => {
  assert.equal(execFileSync(process.execPath, [...AGENT_NODE_FLAGS, '-e', 'process.stdout.write("ok")']).toString(), 'ok');
});
