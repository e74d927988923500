import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsText, conditionsText } from './listener-rules';

const TG = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/0123456789abcdef';

test('conditions in words, from Values or the per-field config', () => {
  assert.equal(conditionsText([{ Field: 'path-pattern', Values: ['/api/*'], PathPatternConfig: { Values: ['/api/*'] } }]), 'path-pattern /api/*');
  assert.equal(conditionsText([{ Field: 'host-header', HostHeaderConfig: { Values: ['a.example', 'b.example'] } }, { Field: 'path-pattern', Values: ['/x'] }]), 'host-header a.example, b.example and path-pattern /x');
  assert.equal(conditionsText([{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['blue'] } }]), 'http-header X-Env: blue');
  assert.equal(conditionsText([]), 'any request');
  assert.equal(conditionsText(undefined), 'any request');
});

test('actions in words: forward names its target groups (with weights when several)', () => {
  assert.equal(actionsText([{ Type: 'forward', TargetGroupArn: TG }]), 'forward to web-tg');
  assert.equal(
    actionsText([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: 90 }, { TargetGroupArn: TG.replace('web-tg', 'canary'), Weight: 10 }] } }]),
    'forward to web-tg (weight 90), canary (weight 10)',
  );
  assert.equal(actionsText([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }]), 'fixed-response 404');
  assert.equal(actionsText([]), 'no action');
});
