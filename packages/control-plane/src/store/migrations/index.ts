import type { Migration } from './migration';
import { foundation } from './001-foundation';
import { services } from './002-services';
import { iam } from './003-iam';
import { agentPki } from './004-agent-pki';
import { secrets } from './005-secrets';
import { loadBalancers } from './006-load-balancers';
import { apiReplayCache } from './008-api-replay-cache';
import { retention } from './009-retention';
import { metrics } from './014-metrics';
import { taskRoles } from './020-task-roles';
import { autoscaling } from './016-autoscaling';
import { capacity } from './017-capacity';
import { fargate } from './018-fargate';
import { logStore } from './019-log-store';
import { metricHourRollups } from './024-metric-hour-rollups';
import { certificates } from './021-certificates';
import { targetResponseTime } from './015-target-response-time';
import { roleBoundaries } from './026-role-boundaries';
import { provisioningTasks } from './025-provisioning-tasks';
import { leaderLease } from './029-leader-lease';
import { schedules } from './032-schedules';
import { taskConnectivityAt } from './039-task-connectivity-at';
import { serviceDeployments } from './036-service-deployments';
import { accountSettings } from './037-account-settings';
import { storeChanges } from './030-store-changes';
import { consoleSessions } from './038-console-sessions';
import { containerInstanceTags } from './034-container-instance-tags';
import { taskIndexOverlap } from './042-task-index-overlap';

export type { Migration } from './migration';

/** One file per migration, numbered; add new ones at the end. */
export const MIGRATIONS: Migration[] = [foundation, services, iam, agentPki, secrets, loadBalancers, apiReplayCache, retention, metrics, taskRoles, autoscaling, capacity, fargate, logStore, metricHourRollups, certificates, targetResponseTime, roleBoundaries, provisioningTasks, leaderLease, schedules, taskConnectivityAt, serviceDeployments, accountSettings, storeChanges, consoleSessions, containerInstanceTags, taskIndexOverlap];
