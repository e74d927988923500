import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applianceBalance, gatewayFrontends } from './haproxy-gateway';
import { HaproxyConfigError } from './haproxy-values';

const names = { entry: 'gw-gw-80', back: 'gw-gw-6081-return', appliances: 'tg-ids-1', destination: 'tg-web-2' };
const g = { destinationTargetGroupArn: 'arn:web', returnPort: 6081, returnToken: 'ab'.repeat(16), failOpen: false };

test('HTTP chain: the entry sets the way back and the token (replacing any a client sent); the return port requires and strips the token', () => {
  const text = gatewayFrontends(g, 80, 'http', '127.0.26.60', names, 'l', 350).join('\n');
  const [entry, back] = text.split('\n\n') as [string, string];
  assert.match(entry, /bind 127\.0\.26\.60:80\n/);
  assert.ok(entry.indexOf('del-header X-Stevedore-Gateway-Token') < entry.indexOf('set-header X-Stevedore-Gateway-Token'));
  assert.match(entry, /set-header X-Stevedore-Gateway-Return %\[dst\]:6081\n/);
  assert.match(entry, /default_backend tg-ids-1$/);
  assert.doesNotMatch(entry, /use_backend/, 'fails closed: nothing bypasses the appliances');
  assert.match(back, /bind 127\.0\.26\.60:6081\n/);
  assert.match(back, new RegExp(`deny deny_status 403 unless \\{ req.hdr\\(X-Stevedore-Gateway-Token\\) -m str ${g.returnToken} \\}`));
  assert.doesNotMatch(back, /forwardfor/, 'the appliance hop adds no X-Forwarded-For');
  assert.match(back, /default_backend tg-web-2$/);
});

test('fail-open and TCP chains', () => {
  const open = gatewayFrontends({ ...g, failOpen: true }, 80, 'http', '127.0.26.60', names, 'l', 350).join('\n');
  assert.match(open, /use_backend tg-web-2 if \{ nbsrv\(tg-ids-1\) eq 0 \}\n  default_backend tg-ids-1/);
  assert.match(open, /set-header X-Stevedore-Gateway-Token \S+ unless \{ nbsrv\(tg-ids-1\) eq 0 \}/, 'no token for a request that bypasses the appliances');
  const tcp = gatewayFrontends(g, 80, 'tcp', '127.0.26.60', names, 'l', 350).join('\n');
  assert.doesNotMatch(tcp, /http-request|X-Stevedore/);
  assert.match(tcp, /mode tcp/);
});

test('flows: source stickiness, per connection by TCP, per connection by hash of the client address and port for HTTP', () => {
  assert.equal(applianceBalance('source', 'http'), 'balance source');
  assert.equal(applianceBalance('connection', 'tcp'), 'balance roundrobin');
  assert.equal(applianceBalance('connection', 'http'), 'balance hash src,concat(:,sess.gw_sport)');
});

test('values of the wrong form are refused', () => {
  assert.throws(() => gatewayFrontends({ ...g, returnToken: 'x y' }, 80, 'http', '127.0.26.60', names, 'l', 350), HaproxyConfigError);
  assert.throws(() => gatewayFrontends({ ...g, returnPort: 80 }, 80, 'http', '127.0.26.60', names, 'l', 350), /differ/);
  assert.throws(() => gatewayFrontends({ ...g, returnPort: 70000 }, 80, 'http', '127.0.26.60', names, 'l', 350), HaproxyConfigError);
});
