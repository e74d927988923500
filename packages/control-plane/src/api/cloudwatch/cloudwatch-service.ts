import type { Action } from '../context';
import type { QueryService } from '../protocols/query';
import { CLOUDWATCH_MODEL } from './cloudwatch-model';
import { getMetricData, getMetricStatistics, listMetrics, putMetricData } from './metric-actions';
import {
  deleteAlarms,
  describeAlarmHistory,
  describeAlarms,
  describeAlarmsForMetric,
  disableAlarmActions,
  enableAlarmActions,
  putMetricAlarm,
  setAlarmState,
} from './alarm-actions';

/** CloudWatch's operations (Query protocol, signed for `monitoring`). A Map: the name is request input. */
const ACTIONS: ReadonlyMap<string, Action> = new Map<string, Action>([
  ['PutMetricData', putMetricData],
  ['GetMetricStatistics', getMetricStatistics],
  ['GetMetricData', getMetricData],
  ['ListMetrics', listMetrics],
  ['PutMetricAlarm', putMetricAlarm],
  ['DescribeAlarms', describeAlarms],
  ['DescribeAlarmsForMetric', describeAlarmsForMetric],
  ['DeleteAlarms', deleteAlarms],
  ['SetAlarmState', setAlarmState],
  ['DescribeAlarmHistory', describeAlarmHistory],
  ['EnableAlarmActions', enableAlarmActions],
  ['DisableAlarmActions', disableAlarmActions],
]);

export const CLOUDWATCH_SERVICE: QueryService = {
  model: CLOUDWATCH_MODEL,
  targetPrefix: 'GraniteServiceVersion20100801',
  actions: ACTIONS,
};
