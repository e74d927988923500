import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { systemClock, defaultArnContext } from '@stevedore/core';
import { Store } from '../../store/store';
import { AesGcmSecretBox, loadOrCreateMasterKey } from '../../store/secret-box';
import { ACCESS_KEY_ID_PATTERN, bootstrapAdminKey, createAccessKey } from './access-keys';
import { readCredentialsFile } from '../../testing/signed-client';

const silent = pino({ level: 'silent' });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sv-iam-'));
const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('the master key file is created once, 0600 in a 0700 directory, and refused when others can read it', () => {
  const dir = tmp();
  const first = loadOrCreateMasterKey(dir);
  assert.equal(first.created, true);
  assert.equal(mode(first.file), 0o600);
  assert.equal(mode(path.dirname(first.file)), 0o700);
  const again = loadOrCreateMasterKey(dir);
  assert.equal(again.created, false);
  assert.equal(again.box.open(first.box.seal('s', 'ctx'), 'ctx'), 's');
  fs.chmodSync(first.file, 0o644);
  assert.throws(() => loadOrCreateMasterKey(dir), /accessible by group or others.*chmod 600/);
});

test('sealed secrets: fresh IV each time, bound to their context, tamper-evident', () => {
  const box = new AesGcmSecretBox(Buffer.alloc(32, 7));
  const a = box.seal('hunter2', 'iam-access-key:A');
  assert.notEqual(a, box.seal('hunter2', 'iam-access-key:A'));
  assert.equal(box.open(a, 'iam-access-key:A'), 'hunter2');
  assert.throws(() => box.open(a, 'iam-access-key:B'));
  const raw = Buffer.from(a.slice(3), 'base64');
  raw[14] = raw[14]! ^ 1;
  assert.throws(() => box.open(`v1:${raw.toString('base64')}`, 'iam-access-key:A'));
  assert.throws(() => new AesGcmSecretBox(Buffer.alloc(16)), /32 bytes/);
});

test('access key secrets are not in the SQLite files in plain text, and open only with the right master key', () => {
  const dir = tmp();
  const { box } = loadOrCreateMasterKey(dir);
  const dbFile = path.join(dir, 'stevedore.db');
  const store = Store.open(dbFile, systemClock, defaultArnContext, { secretBox: box });
  const keys = Array.from({ length: 5 }, () => createAccessKey(store, 'admin', 1));
  for (const k of keys) {
    assert.match(k.accessKeyId, ACCESS_KEY_ID_PATTERN);
    assert.match(k.secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
    assert.equal(store.iam.getAccessKeyWithSecret(k.accessKeyId)?.secretAccessKey, k.secretAccessKey);
  }
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  // Grep the raw files (database, WAL, shared memory) for each secret.
  const raw = Buffer.concat(fs.readdirSync(dir).filter((f) => f.startsWith('stevedore.db')).map((f) => fs.readFileSync(path.join(dir, f))));
  for (const k of keys) {
    assert.equal(raw.includes(Buffer.from(k.secretAccessKey)), false, 'secret in the database file');
    assert.equal(raw.includes(Buffer.from(k.accessKeyId)), true, 'the key id is stored as is');
  }
  const other = Store.open(dbFile, systemClock, defaultArnContext, { secretBox: new AesGcmSecretBox(Buffer.alloc(32, 1)) });
  assert.throws(() => other.iam.checkMasterKey());
  other.close();
  const reopened = Store.open(dbFile, systemClock, defaultArnContext, { secretBox: box });
  assert.deepEqual(reopened.iam.checkMasterKey(), { checked: true });
  reopened.close();
});

test('first start writes the admin key as a 0600 shared-credentials file; later starts leave it alone', () => {
  const dir = tmp();
  const file = path.join(dir, 'creds', 'admin-credentials');
  const store = Store.open(':memory:', systemClock, defaultArnContext);
  assert.deepEqual(bootstrapAdminKey(store, file, 1000, silent), { created: true });
  assert.equal(mode(file), 0o600);
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text, /^# Stevedore admin access key AKIA[A-Z2-7]{16}, created .*\n\[default\]\naws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = \S{40}\n$/);
  const key = readCredentialsFile(file);
  assert.equal(store.iam.getAccessKeyWithSecret(key.accessKeyId)?.secretAccessKey, key.secretAccessKey);
  assert.equal(store.iam.getAccessKey(key.accessKeyId)?.roleName, 'admin');
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['admin-credentials'], 'no temporary file left behind');

  fs.writeFileSync(file, 'edited by the operator\n');
  assert.deepEqual(bootstrapAdminKey(store, file, 2000, silent), { created: false });
  assert.equal(fs.readFileSync(file, 'utf8'), 'edited by the operator\n');
  // Deleting every key never makes a restart mint a new admin key.
  store.iam.deleteAccessKey(key.accessKeyId);
  fs.rmSync(file);
  assert.deepEqual(bootstrapAdminKey(store, file, 3000, silent), { created: false });
  assert.equal(fs.existsSync(file), false);
  store.close();
});
