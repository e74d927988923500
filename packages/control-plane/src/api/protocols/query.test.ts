import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { isStevedoreError, StevedoreError } from '@stevedore/core';
import { CLOUDWATCH_MODEL } from '../cloudwatch/cloudwatch-model';
import { decodeQueryInput, paramTree } from './query-input';
import { encodeQueryError, encodeQueryResponse, escapeXml } from './query-output';
import { isQueryRequest, queryErrorOf, queryOperation, resolveQueryCall, type QueryService } from './query';

const op = (name: string) => CLOUDWATCH_MODEL.operations[name]!;
const decode = (name: string, form: string) => decodeQueryInput(CLOUDWATCH_MODEL, op(name).input, paramTree(new URLSearchParams(form)));
const fails = (fn: () => unknown, code: string, field: string) =>
  assert.throws(fn, (e: unknown) => isStevedoreError(e) && e.code === code && e.field === field && e.message.includes(field));

test('Query input: lists (member.N, in numeric order), nested structures and typed scalars, as botocore sends them', () => {
  const form = [
    'Action=PutMetricData&Version=2010-08-01&Namespace=App%2FWeb',
    'MetricData.member.1.MetricName=Latency&MetricData.member.1.Timestamp=2026-12-02T16%3A00%3A00Z&MetricData.member.1.Value=1.5&MetricData.member.1.Unit=Milliseconds',
    'MetricData.member.1.Dimensions.member.2.Name=Az&MetricData.member.1.Dimensions.member.2.Value=a',
    'MetricData.member.1.Dimensions.member.1.Name=Service&MetricData.member.1.Dimensions.member.1.Value=web',
    'MetricData.member.10.MetricName=Hits&MetricData.member.10.Values.member.1=1&MetricData.member.10.Values.member.2=2&MetricData.member.10.Counts.member.1=3&MetricData.member.10.Counts.member.2=4&MetricData.member.10.StorageResolution=1',
    'MetricData.member.2.MetricName=Statset&MetricData.member.2.StatisticValues.SampleCount=2&MetricData.member.2.StatisticValues.Sum=3&MetricData.member.2.StatisticValues.Minimum=1&MetricData.member.2.StatisticValues.Maximum=2&MetricData.member.2.Timestamp=1764691200',
    'Unknown.Param=ignored',
  ].join('&');
  assert.deepEqual(decode('PutMetricData', form), {
    Namespace: 'App/Web',
    MetricData: [
      { MetricName: 'Latency', Dimensions: [{ Name: 'Service', Value: 'web' }, { Name: 'Az', Value: 'a' }], Timestamp: new Date('2026-12-02T16:00:00Z'), Value: 1.5, Unit: 'Milliseconds' },
      { MetricName: 'Statset', Timestamp: new Date(1764691200_000), StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 1, Maximum: 2 } },
      { MetricName: 'Hits', Values: [1, 2], Counts: [3, 4], StorageResolution: 1 },
    ],
  });
  // An empty list is sent as `Name=`.
  assert.deepEqual(decode('ListMetrics', 'Action=ListMetrics&Dimensions='), { Dimensions: [] });
  assert.deepEqual(decode('SetAlarmState', 'AlarmName=a&StateValue=ALARM&StateReason=r'), { AlarmName: 'a', StateValue: 'ALARM', StateReason: 'r' });
});

test('Query input: the model constraints are checked and the parameter named as sent', () => {
  fails(() => decode('PutMetricData', 'MetricData.member.1.MetricName=x'), 'MissingParameter', 'Namespace');
  fails(() => decode('PutMetricData', 'Namespace=n&MetricData.member.1.Value=1'), 'MissingParameter', 'MetricData.member.1.MetricName');
  fails(() => decode('PutMetricData', 'Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Value=abc'), 'InvalidParameterValue', 'MetricData.member.1.Value');
  fails(() => decode('PutMetricData', 'Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Value=NaN'), 'InvalidParameterValue', 'MetricData.member.1.Value');
  fails(() => decode('PutMetricData', 'Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Unit=Parsecs'), 'InvalidParameterValue', 'MetricData.member.1.Unit');
  fails(() => decode('PutMetricData', 'Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Timestamp=yesterday'), 'InvalidParameterValue', 'MetricData.member.1.Timestamp');
  fails(() => decode('PutMetricData', 'Namespace=n&MetricData.member.x.MetricName=m'), 'InvalidParameterValue', 'MetricData.member');
  fails(() => decode('PutMetricData', `Namespace=${'n'.repeat(300)}&MetricData.member.1.MetricName=m`), 'InvalidParameterValue', 'Namespace');
  fails(() => decode('DescribeAlarms', 'MaxRecords=0'), 'InvalidParameterValue', 'MaxRecords');
  fails(() => decode('DescribeAlarms', 'MaxRecords=1.5'), 'InvalidParameterValue', 'MaxRecords');
  fails(() => decode('PutMetricAlarm', 'AlarmName=a&EvaluationPeriods=1&ComparisonOperator=GreaterThanThreshold&ActionsEnabled=yes'), 'InvalidParameterValue', 'ActionsEnabled');
  const many = Array.from({ length: 31 }, (_, i) => `Dimensions.member.${i + 1}.Name=d${i}`).join('&');
  fails(() => decode('ListMetrics', many), 'InvalidParameterValue', 'Dimensions');
});

test('Query output: the shape decides order, list and map wrapping; timestamps are ISO 8601; text is escaped', () => {
  const xml = encodeQueryResponse(CLOUDWATCH_MODEL, op('GetMetricStatistics'), {
    Datapoints: [{ Unit: 'Percent', Maximum: 9, Timestamp: new Date('2026-12-02T16:00:00Z'), Average: 4.5, ExtendedStatistics: { p99: 8.9 } }],
    Label: 'CPU <&> "x"',
  }, 'req-1');
  assert.equal(
    xml,
    '<GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricStatisticsResult>' +
      '<Label>CPU &lt;&amp;&gt; &quot;x&quot;</Label><Datapoints><member><Timestamp>2026-12-02T16:00:00.000Z</Timestamp><Average>4.5</Average>' +
      '<Maximum>9</Maximum><Unit>Percent</Unit><ExtendedStatistics><entry><key>p99</key><value>8.9</value></entry></ExtendedStatistics></member></Datapoints>' +
      '</GetMetricStatisticsResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetMetricStatisticsResponse>',
  );
  const parsed = new XMLParser().parse(xml);
  assert.equal(parsed.GetMetricStatisticsResponse.GetMetricStatisticsResult.Datapoints.member.ExtendedStatistics.entry.value, 8.9);
  // Empty lists are empty elements; operations without output carry only the metadata.
  assert.match(encodeQueryResponse(CLOUDWATCH_MODEL, op('DescribeAlarms'), { MetricAlarms: [] }, 'r'), /<DescribeAlarmsResult><MetricAlarms\/><\/DescribeAlarmsResult>/);
  assert.equal(
    encodeQueryResponse(CLOUDWATCH_MODEL, op('DeleteAlarms'), undefined, 'r'),
    '<DeleteAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteAlarmsResponse>',
  );
  assert.equal(escapeXml('a\u0000b\u0007c\r\n'), 'a\uFFFDb\uFFFDc&#13;\n');
});

test('Query errors: model codes and statuses, shared errors under their Query names', () => {
  assert.deepEqual(queryErrorOf(new StevedoreError('ResourceNotFound', 'x'), CLOUDWATCH_MODEL), { code: 'ResourceNotFound', status: 404 });
  assert.deepEqual(queryErrorOf(new StevedoreError('InvalidParameterValue', 'x'), CLOUDWATCH_MODEL), { code: 'InvalidParameterValue', status: 400 });
  assert.deepEqual(queryErrorOf(new StevedoreError('AccessDeniedException', 'x'), CLOUDWATCH_MODEL), { code: 'AccessDenied', status: 403 });
  assert.deepEqual(queryErrorOf(new StevedoreError('ThrottlingException', 'x'), undefined), { code: 'Throttling', status: 400 });
  assert.equal(
    encodeQueryError('ns', 'InvalidParameterValue', 'bad <x>', true, 'r'),
    '<ErrorResponse xmlns="ns"><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>bad &lt;x&gt;</Message></Error><RequestId>r</RequestId></ErrorResponse>',
  );
});

test('Query requests are recognised by form body or GET query, and routed by signing scope and Version', () => {
  assert.equal(isQueryRequest('POST', '/', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }), true);
  assert.equal(isQueryRequest('POST', '/', { 'content-type': 'application/x-www-form-urlencoded', 'x-amz-target': 'x' }), false);
  assert.equal(isQueryRequest('POST', '/', { 'content-type': 'application/x-amz-json-1.1' }), false);
  assert.equal(isQueryRequest('GET', '/?Action=ListMetrics&Version=2010-08-01', {}), true);
  assert.equal(isQueryRequest('GET', '/ping', {}), false);
  const svc: QueryService = { model: CLOUDWATCH_MODEL, targetPrefix: 'GraniteServiceVersion20100801', actions: new Map([['ListMetrics', () => ({})]]) };
  const other: QueryService = { model: { ...CLOUDWATCH_MODEL, metadata: { ...CLOUDWATCH_MODEL.metadata, apiVersion: '2015-12-01', endpointPrefix: 'elasticloadbalancing' } }, targetPrefix: 'ElasticLoadBalancing_v10', actions: new Map() };
  const signed = { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x' };
  const body = Buffer.from('Action=ListMetrics&Version=2010-08-01');
  const call = resolveQueryCall([other, svc], 'POST', '/', signed, body);
  assert.equal(call.target, 'GraniteServiceVersion20100801.ListMetrics');
  assert.equal(queryOperation(call).op.name, 'ListMetrics');
  assert.equal(resolveQueryCall([other, svc], 'GET', '/?Action=ListMetrics&Version=2010-08-01', {}, Buffer.alloc(0)).service, svc);
  // Signed for one service, versioned for another: no service.
  assert.equal(resolveQueryCall([other, svc], 'POST', '/', signed, Buffer.from('Action=ListMetrics&Version=2015-12-01')).service, undefined);
  const code = (form: string) => {
    try {
      queryOperation(resolveQueryCall([svc], 'POST', '/', {}, Buffer.from(form)));
    } catch (e) {
      return (e as StevedoreError).code;
    }
    return 'none';
  };
  assert.equal(code('Version=2010-08-01'), 'MissingAction');
  assert.equal(code('Action=constructor&Version=2010-08-01'), 'InvalidAction');
  assert.equal(code('Action=__proto__&Version=2010-08-01'), 'InvalidAction');
  assert.equal(code('Action=DescribeAlarms&Version=2010-08-01'), 'InvalidAction'); // in the model, not served here
  assert.equal(code('Action=ListMetrics&Version=2010-08-01'), 'none');
});
