import { arns, clusterNameOf, parseArn, type ArnContext } from '@stevedore/core';
import { LOGS_OPERATION_RESOURCES } from './logs-resources';

/**
 * The one table authorization reads: for each operation, the resource ARNs a
 * request touches, derived from its body exactly the way the action resolves
 * them (cluster name or ARN, default "default"; a service by name or ARN
 * within the request's cluster). A member that is malformed, or an operation
 * missing here, yields the resource "*", which only a policy granting "*"
 * matches: a scoped role is denied rather than let through on a guess.
 */
export const ANY_RESOURCE = '*';

type Body = Record<string, unknown>;

/** Lookups for resources a request names without their full ARN. */
export interface ResourceLookups {
  /** The stored ARN (with its random suffix) of the secret a SecretId names, if it exists. */
  secretArn(secretId: string): string | undefined;
}
export const NO_LOOKUPS: ResourceLookups = { secretArn: () => undefined };

type ResourcesOf = (body: Body, arn: ArnContext, lookups: ResourceLookups) => string[];

const SAFE_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

function clusterName(body: Body, member = 'cluster'): string | undefined {
  const v = body[member];
  if (v === undefined || v === null) return 'default';
  if (typeof v !== 'string') return undefined;
  const name = clusterNameOf(v);
  return SAFE_NAME.test(name) ? name : undefined;
}

function cluster(body: Body, arn: ArnContext): string[] {
  const name = clusterName(body);
  return [name === undefined ? ANY_RESOURCE : arns.cluster(arn, name)];
}

function serviceName(ref: unknown): string | undefined {
  if (typeof ref !== 'string') return undefined;
  const parsed = parseArn(ref);
  if (parsed && parsed.resourceType !== 'service') return undefined;
  const name = parsed ? parsed.resource.split('/').pop()! : ref;
  return SAFE_NAME.test(name) ? name : undefined;
}

function services(refs: unknown, body: Body, arn: ArnContext): string[] {
  const c = clusterName(body);
  const list = Array.isArray(refs) ? refs : [refs];
  if (c === undefined || list.length === 0) return [ANY_RESOURCE];
  return list.map((r) => {
    const s = serviceName(r);
    return s === undefined ? ANY_RESOURCE : arns.service(arn, c, s);
  });
}

/** ExecuteCommand: the cluster and the task (ECS scopes it to both), the task by id or ARN within the request's cluster. */
function clusterAndTask(body: Body, arn: ArnContext): string[] {
  const c = clusterName(body);
  const ref = body['task'];
  if (c === undefined || typeof ref !== 'string') return [ANY_RESOURCE];
  const parsed = parseArn(ref);
  if (parsed && parsed.resourceType !== 'task') return [ANY_RESOURCE];
  const id = parsed ? parsed.resource.split('/').pop()! : ref;
  return [arns.cluster(arn, c), SAFE_NAME.test(id) ? arns.task(arn, c, id) : ANY_RESOURCE];
}

function clusters(body: Body, arn: ArnContext): string[] {
  const v = body['clusters'];
  if (v === undefined || v === null) return [arns.cluster(arn, 'default')];
  if (!Array.isArray(v) || v.length === 0) return [ANY_RESOURCE];
  return v.map((x) => {
    const name = typeof x === 'string' ? clusterNameOf(x) : undefined;
    return name !== undefined && SAFE_NAME.test(name) ? arns.cluster(arn, name) : ANY_RESOURCE;
  });
}

function role(body: Body, arn: ArnContext): string[] {
  const v = body['roleName'];
  return [typeof v === 'string' && ROLE_NAME.test(v) ? `arn:aws:iam::${arn.account}:role/${v}` : ANY_RESOURCE];
}

function resourceArn(body: Body): string[] {
  const v = body['resourceArn'];
  return [typeof v === 'string' && parseArn(v) ? v : ANY_RESOURCE];
}

const any: ResourcesOf = () => [ANY_RESOURCE];

/** A list member of ARNs of one ECS resource type (service-deployment, service-revision): each as given, else "*". */
function arnList(member: string, resourceType: string): ResourcesOf {
  return (b) => {
    const v = b[member];
    if (!Array.isArray(v) || v.length === 0) return [ANY_RESOURCE];
    return v.map((x) => (typeof x === 'string' && parseArn(x)?.resourceType === resourceType ? x : ANY_RESOURCE));
  };
}

function resourceArnMember(member: string): ResourcesOf {
  return (b) => {
    const v = b[member];
    return [typeof v === 'string' && parseArn(v) ? v : ANY_RESOURCE];
  };
}

/** A file system's ARN (EFS's shape), or "*" when the request names none or something else. */
function fileSystem(id: unknown, arn: ArnContext): string[] {
  return [typeof id === 'string' && /^fs-[0-9a-f]{17}$/.test(id) ? `arn:aws:elasticfilesystem:${arn.region}:${arn.account}:file-system/${id}` : ANY_RESOURCE];
}

const ALARM_NAME = /^[^\u0000-\u001f]{1,255}$/;
const alarmArn = (a: ArnContext, name: unknown) => (typeof name === 'string' && ALARM_NAME.test(name) ? `arn:aws:cloudwatch:${a.region}:${a.account}:alarm:${name}` : ANY_RESOURCE);
const alarms = (member: string): ResourcesOf => (b, a) => {
  const v = b[member];
  return Array.isArray(v) && v.length > 0 ? v.map((n) => alarmArn(a, n)) : [ANY_RESOURCE];
};

/**
 * CloudWatch, as IAM scopes it: alarms by their ARN
 * (arn:aws:cloudwatch:<region>:<account>:alarm:<name>), metric operations and
 * alarm listings on no resource ("*").
 */
const CLOUDWATCH_RESOURCES: Record<string, ResourcesOf> = {
  'cloudwatch:PutMetricData': any,
  'cloudwatch:GetMetricStatistics': any,
  'cloudwatch:GetMetricData': any,
  'cloudwatch:ListMetrics': any,
  'cloudwatch:DescribeAlarms': any,
  'cloudwatch:DescribeAlarmsForMetric': any,
  'cloudwatch:PutMetricAlarm': (b, a) => [alarmArn(a, b['AlarmName'])],
  'cloudwatch:SetAlarmState': (b, a) => [alarmArn(a, b['AlarmName'])],
  'cloudwatch:DescribeAlarmHistory': (b, a) => (b['AlarmName'] === undefined ? [ANY_RESOURCE] : [alarmArn(a, b['AlarmName'])]),
  'cloudwatch:DeleteAlarms': alarms('AlarmNames'),
  'cloudwatch:EnableAlarmActions': alarms('AlarmNames'),
  'cloudwatch:DisableAlarmActions': alarms('AlarmNames'),
};
/** A capacity provider by name or ARN, rebuilt in this region and account. */
function capacityProvider(ref: unknown, arn: ArnContext): string[] {
  if (typeof ref !== 'string') return [ANY_RESOURCE];
  const name = /^arn:aws:ecs:[^:]*:[^:]*:capacity-provider\/(.+)$/.exec(ref)?.[1] ?? ref;
  return [SAFE_NAME.test(name) ? `arn:aws:ecs:${arn.region}:${arn.account}:capacity-provider/${name}` : ANY_RESOURCE];
}

const SECRET_ARN = /^arn:aws:secretsmanager:[^:]*:[^:]*:secret:(.+)$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/**
 * A secret's own ARN when it exists, so a policy on `secret:prod/db-??????`
 * (the AWS way) holds whether the caller says `prod/db` or the ARN. Otherwise
 * the ARN is rebuilt in this region and account from the name, never taken
 * from the request: an ARN of another region must not slip past a Deny.
 * Launch authorization resolves a task definition's secret references with
 * it too, so both name a secret the same way.
 */
export function secretResource(id: unknown, arn: ArnContext, lookups: ResourceLookups): string {
  if (typeof id !== 'string' || id === '' || id.length > 2048) return ANY_RESOURCE;
  const stored = lookups.secretArn(id);
  if (stored) return stored;
  const name = SECRET_ARN.exec(id)?.[1] ?? id;
  return SECRET_NAME.test(name) ? `arn:aws:secretsmanager:${arn.region}:${arn.account}:secret:${name}` : ANY_RESOURCE;
}

const SCHEDULE_NAME = /^[0-9a-zA-Z_.-]{1,64}$/;
/** A schedule's ARN from its name and group (default "default"), as IAM scopes Scheduler's operations. */
function scheduleResource(a: ArnContext, group: unknown, name: unknown): string {
  const g = group === undefined || group === null ? 'default' : group;
  return typeof g === 'string' && typeof name === 'string' && SCHEDULE_NAME.test(g) && SCHEDULE_NAME.test(name) ? `arn:aws:scheduler:${a.region}:${a.account}:schedule/${g}/${name}` : ANY_RESOURCE;
}
function scheduleGroupResource(a: ArnContext, name: unknown): string {
  return typeof name === 'string' && SCHEDULE_NAME.test(name) ? `arn:aws:scheduler:${a.region}:${a.account}:schedule-group/${name}` : ANY_RESOURCE;
}
const schedule: ResourcesOf = (b, a) => [scheduleResource(a, b['GroupName'], b['Name'])];
const scheduleGroup: ResourcesOf = (b, a) => [scheduleGroupResource(a, b['Name'])];
/** EventBridge Scheduler: schedules and groups by ARN; the listings on no resource, as in IAM. */
const SCHEDULER_RESOURCES: Record<string, ResourcesOf> = {
  'scheduler:CreateSchedule': schedule,
  'scheduler:GetSchedule': schedule,
  'scheduler:UpdateSchedule': schedule,
  'scheduler:DeleteSchedule': schedule,
  'scheduler:ListSchedules': any,
  'scheduler:CreateScheduleGroup': scheduleGroup,
  'scheduler:GetScheduleGroup': scheduleGroup,
  'scheduler:DeleteScheduleGroup': scheduleGroup,
  'scheduler:ListScheduleGroups': any,
  'scheduler:TagResource': resourceArnMember('ResourceArn'),
  'scheduler:UntagResource': resourceArnMember('ResourceArn'),
  'scheduler:ListTagsForResource': resourceArnMember('ResourceArn'),
};

const secret: ResourcesOf = (body, arn, lookups) => [secretResource(body['SecretId'], arn, lookups)];

/**
 * `<namespace>:<Operation>` -> resources. Task-definition operations are
 * unscoped, as in ECS. A Map: the key is derived from the request's target.
 */
/** ELBv2's operations Stevedore serves (elbv2/elbv2-service.ts); listed here so this table stays free of API imports. */
const ELB_OPERATIONS = [
  'CreateLoadBalancer', 'DescribeLoadBalancers', 'DeleteLoadBalancer', 'DescribeLoadBalancerAttributes', 'ModifyLoadBalancerAttributes',
  'CreateTargetGroup', 'ModifyTargetGroup', 'DescribeTargetGroups', 'DeleteTargetGroup', 'DescribeTargetGroupAttributes', 'ModifyTargetGroupAttributes',
  'CreateListener', 'DescribeListeners', 'ModifyListener', 'DeleteListener', 'CreateRule', 'DescribeRules', 'ModifyRule', 'SetRulePriorities', 'DeleteRule',
  'RegisterTargets', 'DeregisterTargets', 'DescribeTargetHealth', 'AddTags', 'RemoveTags', 'DescribeTags', 'DescribeSSLPolicies',
  'AddListenerCertificates', 'RemoveListenerCertificates', 'DescribeListenerCertificates',
];

export const OPERATION_RESOURCES: ReadonlyMap<string, ResourcesOf> = new Map(Object.entries({
  'ecs:CreateCluster': (b, a) => {
    const name = clusterName(b, 'clusterName');
    return [name === undefined ? ANY_RESOURCE : arns.cluster(a, name)];
  },
  'ecs:DescribeClusters': clusters,
  'ecs:ListClusters': any,
  'ecs:DeleteCluster': cluster,
  'ecs:UpdateCluster': cluster,
  'ecs:UpdateClusterSettings': cluster,
  'ecs:RegisterTaskDefinition': any,
  'ecs:DescribeTaskDefinition': any,
  'ecs:ListTaskDefinitions': any,
  'ecs:ListTaskDefinitionFamilies': any,
  'ecs:DeregisterTaskDefinition': any,
  'ecs:DeleteTaskDefinitions': any,
  'ecs:RegisterContainerInstance': cluster,
  'ecs:ListContainerInstances': cluster,
  'ecs:DescribeContainerInstances': cluster,
  'ecs:DeregisterContainerInstance': cluster,
  'ecs:UpdateContainerInstancesState': cluster,
  'ecs:PutAttributes': cluster,
  'ecs:DeleteAttributes': cluster,
  'ecs:ListAttributes': cluster,
  'ecs:RunTask': cluster,
  'ecs:StartTask': cluster,
  'ecs:StopTask': cluster,
  'ecs:DescribeTasks': cluster,
  'ecs:ListTasks': cluster,
  'ecs:UpdateTaskProtection': cluster,
  'ecs:GetTaskProtection': cluster,
  'ecs:CreateService': (b, a) => services(b['serviceName'], b, a),
  'ecs:UpdateService': (b, a) => services(b['service'], b, a),
  'ecs:DeleteService': (b, a) => services(b['service'], b, a),
  'ecs:DescribeServices': (b, a) => services(b['services'], b, a),
  'ecs:ListServices': cluster,
  'ecs:ListServiceDeployments': (b, a) => services(b['service'], b, a),
  'ecs:DescribeServiceDeployments': arnList('serviceDeploymentArns', 'service-deployment'),
  'ecs:DescribeServiceRevisions': arnList('serviceRevisionArns', 'service-revision'),
  'ecs:DescribeTaskSets': (b, a) => services(b['service'], b, a),
  'ecs:PutAccountSetting': any,
  'ecs:PutAccountSettingDefault': any,
  'ecs:ListAccountSettings': any,
  'ecs:DeleteAccountSetting': any,
  'ecs:ListServicesByNamespace': any,
  'ecs:ExecuteCommand': clusterAndTask,
  'ecs:TagResource': resourceArn,
  'ecs:UntagResource': resourceArn,
  'ecs:ListTagsForResource': resourceArn,
  'stevedore:GetTaskLogs': cluster,
  'stevedore:InterruptSpotTasks': cluster,
  'secretsmanager:CreateSecret': (b, a) => [typeof b['Name'] === 'string' && SECRET_NAME.test(b['Name']) ? `arn:aws:secretsmanager:${a.region}:${a.account}:secret:${b['Name']}` : ANY_RESOURCE],
  'secretsmanager:PutSecretValue': secret,
  'secretsmanager:GetSecretValue': secret,
  'secretsmanager:DescribeSecret': secret,
  'secretsmanager:DeleteSecret': secret,
  'secretsmanager:ListSecrets': any,
  'stevedore:CreateJoinToken': (b, a) => (b['cluster'] === undefined || b['cluster'] === null ? [ANY_RESOURCE] : cluster(b, a)),
  // Without a cluster it lists every cluster's tokens.
  'stevedore:ListJoinTokens': (b, a) => (b['cluster'] === undefined || b['cluster'] === null ? [ANY_RESOURCE] : cluster(b, a)),
  'stevedore:RevokeJoinToken': any,
  // Load balancers are not in any cluster (as in ELB): unscoped, in both wire forms.
  ...Object.fromEntries(ELB_OPERATIONS.flatMap((op) => [[`stevedore:${op}`, any], [`elasticloadbalancing:${op}`, any]])),
  // Certificates by ARN (the one a request names), or all of them.
  'acm:ImportCertificate': (b) => [typeof b['CertificateArn'] === 'string' && parseArn(b['CertificateArn']) ? b['CertificateArn'] : ANY_RESOURCE],
  'acm:DescribeCertificate': resourceArnMember('CertificateArn'),
  'acm:GetCertificate': resourceArnMember('CertificateArn'),
  'acm:DeleteCertificate': resourceArnMember('CertificateArn'),
  'acm:ListCertificates': any,
  ...CLOUDWATCH_RESOURCES,
  // Host groups run commands on the control plane's machine: unscoped, so only a "*" grant reaches them.
  ...Object.fromEntries(
    ['CreateHostGroup', 'DescribeHostGroups', 'UpdateHostGroup', 'SetHostGroupDesiredCapacity', 'DeleteHostGroup', 'DescribeHostGroupActivities'].map((op) => [`stevedore:${op}`, any]),
  ),
  'ecs:CreateCapacityProvider': (b, a) => capacityProvider(b['name'], a),
  'ecs:UpdateCapacityProvider': (b, a) => capacityProvider(b['name'], a),
  'ecs:DeleteCapacityProvider': (b, a) => capacityProvider(b['capacityProvider'], a),
  'ecs:DescribeCapacityProviders': any,
  'ecs:PutClusterCapacityProviders': cluster,
  'stevedore:CreateAccessKey': role,
  'stevedore:ListAccessKeys': any,
  // The web console (actions/console-sessions.ts): a sign-in acts for the caller's own role; a permission check reads only the caller's policy.
  'stevedore:GetConsoleSigninToken': any,
  'stevedore:GetCallerPermissions': any,
  'stevedore:DeleteAccessKey': (b, a) => [typeof b['accessKeyId'] === 'string' && /^[A-Z0-9]{16,128}$/.test(b['accessKeyId']) ? `arn:aws:iam::${a.account}:access-key/${b['accessKeyId']}` : ANY_RESOURCE],
  // File systems: the file system's ARN (EFS's shape); access points by their file system when named.
  'stevedore:CreateFileSystem': any,
  'stevedore:DescribeFileSystems': (b, a) => fileSystem(b['fileSystemId'], a),
  'stevedore:DeleteFileSystem': (b, a) => fileSystem(b['fileSystemId'], a),
  'stevedore:CreateAccessPoint': (b, a) => fileSystem(b['fileSystemId'], a),
  'stevedore:DescribeAccessPoints': (b, a) => fileSystem(b['fileSystemId'], a),
  'stevedore:DeleteAccessPoint': any,
  'stevedore:CreateRole': role,
  'stevedore:ListRoles': any,
  'stevedore:DeleteRole': role,
  'stevedore:PutRolePermissionsBoundary': role,
  'stevedore:DeleteRolePermissionsBoundary': role,
  // Application Auto Scaling: AWS scopes these to no resource either (only tags could), so only a "*" grant matches.
  ...Object.fromEntries(
    [
      'RegisterScalableTarget', 'DescribeScalableTargets', 'DeregisterScalableTarget', 'PutScalingPolicy', 'DescribeScalingPolicies', 'DeleteScalingPolicy',
      'PutScheduledAction', 'DescribeScheduledActions', 'DeleteScheduledAction', 'DescribeScalingActivities',
    ].map((op) => [`application-autoscaling:${op}`, any]),
  ),
  ...LOGS_OPERATION_RESOURCES,
  ...SCHEDULER_RESOURCES,
  'stevedore:ListScheduleRuns': (b, a) => [scheduleResource(a, b['groupName'], b['name'])],
} satisfies Record<string, ResourcesOf>));

/** X-Amz-Target prefix -> IAM action namespace (a Map: the prefix comes from the request). */
export const TARGET_NAMESPACES: ReadonlyMap<string, string> = new Map([
  ['AmazonEC2ContainerServiceV20141113', 'ecs'],
  ['Stevedore_20261125', 'stevedore'],
  ['secretsmanager', 'secretsmanager'],
  ['AmazonSSM', 'ssm'],
  ['AnyScaleFrontendService', 'application-autoscaling'],
  // CloudWatch is served in the Query protocol; its operations are named with the target prefix of its JSON protocol.
  ['GraniteServiceVersion20100801', 'cloudwatch'],
  // ELBv2 (Query protocol): `elasticloadbalancing:*` actions, as in IAM.
  ['ElasticLoadBalancingV2_20151201', 'elasticloadbalancing'],
  ['Logs_20140328', 'logs'],
  ['CertificateManager', 'acm'],
  // EventBridge Scheduler (REST-JSON): its operations are named `scheduler.<Op>`.
  ['scheduler', 'scheduler'],
]);

/** `ecs:RunTask` for `AmazonEC2ContainerServiceV20141113.RunTask`; undefined for a target of no known API. */
export function actionOf(target: string): string | undefined {
  const dot = target.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ns = TARGET_NAMESPACES.get(target.slice(0, dot));
  const op = target.slice(dot + 1);
  return ns && /^[A-Za-z0-9]{1,128}$/.test(op) ? `${ns}:${op}` : undefined;
}

export function resourcesOf(action: string, body: unknown, arn: ArnContext, lookups: ResourceLookups = NO_LOOKUPS): string[] {
  const fn = OPERATION_RESOURCES.get(action);
  if (!fn || body === null || typeof body !== 'object' || Array.isArray(body)) return [ANY_RESOURCE];
  return fn(body as Body, arn, lookups);
}
