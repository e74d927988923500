import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import { StevedoreError } from '@stevedore/core';
import { SCHEDULER_MODEL } from '../scheduler/scheduler-model';
import type { ServiceModel } from './service-model';
import { decodeRestJsonInput, restJsonErrorOf, RestJsonRouter, sendRestJsonError, sendRestJsonResult, type RestJsonService } from './rest-json';

const scheduler: RestJsonService = { model: SCHEDULER_MODEL, targetPrefix: 'scheduler', actions: new Map() };
const router = new RestJsonRouter([scheduler]);
const signedFor = (service: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261203/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00` });

test('routes come from the model: method and path name the operation, labels are decoded', () => {
  const table: [string, string, string | undefined][] = [
    ['POST', '/schedules/nightly', 'CreateSchedule'],
    ['GET', '/schedules/nightly?groupName=g', 'GetSchedule'],
    ['PUT', '/schedules/nightly', 'UpdateSchedule'],
    ['DELETE', '/schedules/nightly', 'DeleteSchedule'],
    ['GET', '/schedules', 'ListSchedules'],
    ['GET', '/schedules?NamePrefix=n&MaxResults=5', 'ListSchedules'],
    ['POST', '/schedule-groups/batch', 'CreateScheduleGroup'],
    ['GET', '/schedule-groups', 'ListScheduleGroups'],
    ['GET', '/tags/arn%3Aaws%3Ascheduler%3Aus-east-1%3A000000000000%3Aschedule-group%2Fbatch', 'ListTagsForResource'],
    ['PATCH', '/schedules/nightly', undefined],
    ['POST', '/schedules', undefined],
    ['GET', '/schedules/a/b', undefined],
    ['POST', '/', undefined],
    ['GET', '/nothing', undefined],
  ];
  for (const [method, url, op] of table) assert.equal(router.match(method, url, {})?.op.name, op, `${method} ${url}`);
  const call = router.match('GET', '/tags/arn%3Aaws%3Ascheduler%3Aus-east-1%3A000000000000%3Aschedule-group%2Fbatch', {})!;
  assert.equal(call.labels.get('ResourceArn'), 'arn:aws:scheduler:us-east-1:000000000000:schedule-group/batch');
  assert.equal(call.target, 'scheduler.ListTagsForResource');
  // A request with X-Amz-Target is JSON 1.1's, whatever its path; a badly encoded label matches nothing.
  assert.equal(router.match('POST', '/schedules/x', { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.RunTask' }), undefined);
  assert.equal(router.match('GET', '/schedules/%E0%A4%A', {}), undefined);
});

test('two services with one route are told apart by the SigV4 scope; greedy labels and literal query parameters', () => {
  const other: ServiceModel = {
    metadata: { apiVersion: '2020-01-01', endpointPrefix: 'other', protocol: 'rest-json', signingName: 'other' },
    operations: {
      GetObject: { name: 'GetObject', http: { method: 'GET', requestUri: '/files/{Key+}' }, input: { shape: 'In' }, errors: [] },
      Versions: { name: 'Versions', http: { method: 'GET', requestUri: '/files/{Key+}?versions' }, input: { shape: 'In' }, errors: [] },
      ListSchedules: { name: 'ListSchedules', http: { method: 'GET', requestUri: '/schedules' }, errors: [] },
    },
    shapes: { In: { type: 'structure', required: ['Key'], members: { Key: { shape: 'S', location: 'uri', locationName: 'Key' } } }, S: { type: 'string' } },
  };
  const r = new RestJsonRouter([scheduler, { model: other, targetPrefix: 'other', actions: new Map() }]);
  assert.equal(r.match('GET', '/schedules', signedFor('other'))?.target, 'other.ListSchedules');
  assert.equal(r.match('GET', '/schedules', signedFor('scheduler'))?.target, 'scheduler.ListSchedules');
  const greedy = r.match('GET', '/files/a/b%20c.txt', {})!;
  assert.equal(greedy.op.name, 'GetObject');
  assert.equal(greedy.labels.get('Key'), 'a/b c.txt');
  assert.equal(r.match('GET', '/files/a/b?versions', {})?.op.name, 'Versions', 'the route with the literal query parameter');
});

test('members bind where the model puts them: URI, query string (lists repeated), JSON body; unknown members are dropped', () => {
  const body = Buffer.from(JSON.stringify({
    ScheduleExpression: 'rate(5 minutes)',
    FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 },
    StartDate: 1796284800,
    Target: { Arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/default', RoleArn: 'arn:aws:iam::000000000000:role/r', EcsParameters: { TaskDefinitionArn: 'job', TaskCount: 2, Tags: [{ team: 'data' }] }, NewMember: 1 },
    SomethingNewer: 'ignored',
  }));
  const input = decodeRestJsonInput(router.match('POST', '/schedules/nightly', {})!, {}, body);
  assert.equal(input['Name'], 'nightly');
  assert.equal(input['StartDate'], 1796284800_000, 'epoch seconds in, milliseconds inside');
  assert.deepEqual(input['FlexibleTimeWindow'], { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 10 });
  assert.equal((input['Target'] as Record<string, unknown>)['NewMember'], undefined);
  assert.equal(input['SomethingNewer'], undefined);
  const list = decodeRestJsonInput(router.match('GET', '/schedules?ScheduleGroup=batch&MaxResults=5&State=ENABLED', {})!, {}, Buffer.alloc(0));
  assert.deepEqual(list, { GroupName: 'batch', MaxResults: 5, State: 'ENABLED' });
  const untag = decodeRestJsonInput(router.match('DELETE', '/tags/arn%3Aaws%3Ascheduler%3Aus-east-1%3A000000000000%3Aschedule-group%2Fb?TagKeys=a&TagKeys=b', {})!, {}, Buffer.alloc(0));
  assert.deepEqual(untag['TagKeys'], ['a', 'b']);
  const del = decodeRestJsonInput(router.match('DELETE', '/schedules/nightly?groupName=g&clientToken=tok-1', {})!, {}, Buffer.alloc(0));
  assert.deepEqual(del, { ClientToken: 'tok-1', GroupName: 'g', Name: 'nightly' });
});

test('the model checks every member and names it in a ValidationException', () => {
  const create = (over: Record<string, unknown>, name = 'nightly') =>
    decodeRestJsonInput(
      router.match('POST', `/schedules/${name}`, {})!,
      {},
      Buffer.from(JSON.stringify({ ScheduleExpression: 'rate(5 minutes)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: 'arn:x', RoleArn: 'arn:aws:iam::000000000000:role/r' }, ...over })),
    );
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ FlexibleTimeWindow: undefined }, 'FlexibleTimeWindow', /Value null at 'FlexibleTimeWindow' failed to satisfy constraint: Member must not be null/],
    [{ FlexibleTimeWindow: { Mode: 'SOMETIMES' } }, 'FlexibleTimeWindow.Mode', /Member must satisfy enum value set: \[OFF, FLEXIBLE\]/],
    [{ FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 0 } }, 'FlexibleTimeWindow.MaximumWindowInMinutes', /greater than or equal to 1/],
    [{ Target: { Arn: 'arn:x', RoleArn: 'not-a-role' } }, 'Target.RoleArn', /Member must satisfy regular expression pattern/],
    [{ Target: { Arn: 'arn:x', RoleArn: 'arn:aws:iam::000000000000:role/r', EcsParameters: { TaskDefinitionArn: 'x', TaskCount: 11 } } }, 'Target.EcsParameters.TaskCount', /Value '11' .* less than or equal to 10/],
    [{ Target: { Arn: 'arn:x', RoleArn: 'arn:aws:iam::000000000000:role/r', EcsParameters: { TaskDefinitionArn: 'x', Tags: [{ k: '' }] } } }, 'Target.EcsParameters.Tags[0].k', /length greater than or equal to 1/],
    [{ Target: { Arn: 'arn:x', RoleArn: 'arn:aws:iam::000000000000:role/r', RetryPolicy: { MaximumEventAgeInSeconds: 10 } } }, 'Target.RetryPolicy.MaximumEventAgeInSeconds', /greater than or equal to 60/],
    [{ StartDate: 'yesterday' }, 'StartDate', /Member must be a timestamp/],
    [{ Description: 7 }, 'Description', /Member must be a string/],
  ];
  for (const [over, field, re] of cases) {
    assert.throws(() => create(over), (e: unknown) => e instanceof StevedoreError && e.code === 'ValidationException' && e.field === field && re.test(e.message), field);
  }
  assert.throws(() => create({}, 'bad%20name'), (e: unknown) => e instanceof StevedoreError && e.field === 'Name');
  assert.throws(() => create({}, 'x'.repeat(65)), (e: unknown) => e instanceof StevedoreError && e.field === 'Name' && /less than or equal to 64/.test(e.message));
  assert.throws(() => decodeRestJsonInput(router.match('POST', '/schedules/n', {})!, {}, Buffer.from('{nope')), (e: unknown) => e instanceof StevedoreError && e.code === 'SerializationException');
});

function capture() {
  const out = { status: 0, headers: {} as Record<string, unknown>, body: '' };
  const res = {
    headersSent: false,
    writeHead(status: number, headers: Record<string, unknown>) {
      out.status = status;
      out.headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      return this;
    },
    end(text?: string) {
      out.body = text ?? '';
      return this;
    },
  };
  return { res: res as unknown as http.ServerResponse, out };
}

test('errors: X-Amzn-ErrorType and the model\'s HTTP status; shared errors under the model\'s names', () => {
  const table: [StevedoreError, string, number][] = [
    [new StevedoreError('ValidationException', 'bad', { httpStatus: 400 }), 'ValidationException', 400],
    [new StevedoreError('InvalidParameterException', 'bad'), 'ValidationException', 400],
    [new StevedoreError('ResourceNotFoundException', 'gone'), 'ResourceNotFoundException', 404],
    [new StevedoreError('ConflictException', 'exists'), 'ConflictException', 409],
    [new StevedoreError('ServiceQuotaExceededException', 'full'), 'ServiceQuotaExceededException', 402],
    [new StevedoreError('ThrottlingException', 'slow down'), 'ThrottlingException', 429],
    [new StevedoreError('ServerException', 'oops', { httpStatus: 500 }), 'InternalServerException', 500],
    [new StevedoreError('AccessDeniedException', 'no'), 'AccessDeniedException', 403],
    [new StevedoreError('UnknownOperationException', 'what'), 'UnknownOperationException', 404],
  ];
  for (const [err, code, status] of table) {
    assert.deepEqual(restJsonErrorOf(err, SCHEDULER_MODEL), { code, status }, err.code);
    const { res, out } = capture();
    sendRestJsonError(res, err, scheduler);
    assert.equal(out.status, status);
    assert.equal(out.headers['x-amzn-errortype'], code);
    assert.deepEqual(JSON.parse(out.body), { Message: err.message });
  }
});

test('results: the output shape\'s members only, timestamps in epoch seconds', () => {
  const { res, out } = capture();
  sendRestJsonResult(res, scheduler, SCHEDULER_MODEL.operations['GetSchedule']!, { Name: 'n', CreationDate: 1796284800_500, State: 'ENABLED', internal: 'x', Target: { Arn: 'a', RoleArn: 'r', secret: 1 } });
  assert.equal(out.status, 200);
  assert.equal(out.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(out.body), { Name: 'n', CreationDate: 1796284800.5, State: 'ENABLED', Target: { Arn: 'a', RoleArn: 'r' } });
});
