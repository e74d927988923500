/**
 * The `stevedore` command tree. `run(argv, io)` is the whole CLI as a function
 * returning the exit code, so tests drive it in-process.
 */
import { Command, CommanderError, Option } from 'commander';
import { buildInfo, versionText } from '@stevedore/core';
import { ApiClient, ApiError, TransportError } from './api-client';
import { requestSignerFrom } from './signing';
import { CliError, EXIT_API_ERROR, EXIT_INTERRUPTED, EXIT_TRANSPORT_ERROR, EXIT_USAGE, OUTPUT_FORMATS, resolveGlobals, type App, type Io, type Writer } from './context';
import { checkQuery } from './output/structured';
import { addAliases, completionCommand } from './completion';
import * as clusterCreate from './commands/cluster-create';
import * as clusterList from './commands/cluster-list';
import * as clusterDelete from './commands/cluster-delete';
import * as joinToken from './commands/join-token';
import * as hostGroup from './commands/host-group';
import * as capacityProvider from './commands/capacity-provider';
import * as spot from './commands/spot';
import * as secretsCmd from './commands/secrets';
import * as tdRegister from './commands/task-definition-register';
import * as tdList from './commands/task-definition-list';
import * as tdDescribe from './commands/task-definition-describe';
import * as tdDeregister from './commands/task-definition-deregister';
import * as runTask from './commands/run-task';
import * as startTask from './commands/start-task';
import * as taskList from './commands/task-list';
import * as taskDescribe from './commands/task-describe';
import * as taskStop from './commands/task-stop';
import * as instanceList from './commands/instance-list';
import * as instanceDescribe from './commands/instance-describe';
import * as instanceDeregister from './commands/instance-deregister';
import * as logs from './commands/logs';
import * as execCmd from './commands/exec';
import * as iamAccessKeys from './commands/iam-access-keys';
import * as iamRoles from './commands/iam-roles';
import * as fileSystems from './commands/file-systems';
import * as deploy from './commands/deploy';
import * as serviceRollback from './commands/service-rollback';
import * as serviceCreate from './commands/service-create';
import * as serviceUpdate from './commands/service-update';
import * as serviceDelete from './commands/service-delete';
import * as serviceList from './commands/service-list';
import * as serviceDescribe from './commands/service-describe';
import * as serviceAutoscale from './commands/service-autoscale';
import * as metricsCmd from './commands/metrics';
import * as alarmCmd from './commands/alarm';
import * as scheduleCmd from './commands/schedule';
import * as instanceState from './commands/instance-state';
import * as attribute from './commands/attribute';
import * as loadBalancers from './commands/lb';
import * as consoleCmd from './commands/console';

/** The release version (the root package.json's, or the one baked into the bundle by `npm run package`). */
export const VERSION = buildInfo().version;

function buildProgram(io: Io, app: App): Command {
  const program = new Command('stevedore');
  // Settings first: subcommands copy them when they are created.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      getOutHelpWidth: () => helpWidth(io.stdout, io.env),
      getErrHelpWidth: () => helpWidth(io.stderr, io.env),
    })
    .description('Command-line client of the Stevedore API (the Amazon ECS JSON protocol on your own Docker hosts)')
    .version(versionText('stevedore'), '--version')
    .option('--endpoint <url>', 'API endpoint (else env STEVEDORE_ENDPOINT, AWS_ENDPOINT_URL_ECS, AWS_ENDPOINT_URL; default http://127.0.0.1:8080)')
    .addOption(new Option('-o, --output <format>', 'table for people; json or yaml for scripts (env STEVEDORE_OUTPUT)').choices([...OUTPUT_FORMATS]))
    .option('--query <jmespath>', 'JMESPath expression applied to the JSON answer, as the AWS CLI\'s --query (prints JSON unless -o yaml)')
    .option('-q, --quiet', 'print only identifiers (ARNs), one a line')
    .option('--cluster <name>', 'cluster name or ARN (env STEVEDORE_CLUSTER; default "default")')
    .option('--profile <name>', 'profile of the AWS shared-credentials file to sign with (env AWS_PROFILE; default "default")')
    .option('--region <region>', 'signing region, the control plane\'s (env AWS_REGION; default us-east-1)')
    .option('--ca-bundle <file>', 'PEM CA bundle to verify an https:// endpoint with, e.g. the control plane\'s <data-dir>/api-ca.pem (env AWS_CA_BUNDLE)')
    .showHelpAfterError('(run with --help for usage)');

  const cluster = program.command('cluster').description('create, list and delete clusters');
  clusterCreate.register(cluster, app);
  clusterList.register(cluster, app);
  clusterDelete.register(cluster, app);
  joinToken.register(cluster, app);

  const td = program.command('task-definition').description('register, list, describe and deregister task definitions');
  tdRegister.register(td, app);
  tdList.register(td, app);
  tdDescribe.register(td, app);
  tdDeregister.register(td, app);

  runTask.register(program, app);
  startTask.register(program, app);

  const task = program.command('task').description('list, describe and stop tasks');
  taskList.register(task, app);
  taskDescribe.register(task, app);
  taskStop.register(task, app);

  const instance = program.command('instance').description('list, describe and deregister container instances');
  instanceList.register(instance, app);
  instanceDescribe.register(instance, app);
  instanceDeregister.register(instance, app);
  instanceState.register(instance, app);

  const attr = program.command('attribute').description('custom attributes of container instances (placement constraints match them)');
  attribute.register(attr, app);

  logs.register(program, app);
  execCmd.register(program, app);
  secretsCmd.register(program, app);

  deploy.register(program, app);
  loadBalancers.register(program, app);
  const service = program.command('service').description('create, scale, update, describe and delete services');
  serviceCreate.register(service, app);
  serviceUpdate.register(service, app);
  serviceList.register(service, app);
  serviceDescribe.register(service, app);
  serviceDelete.register(service, app);
  serviceRollback.register(service, app);
  serviceAutoscale.register(service, app);

  metricsCmd.register(program, app);
  alarmCmd.register(program, app);
  scheduleCmd.register(program, app);
  hostGroup.register(program, app);
  capacityProvider.register(program, app);
  spot.register(program, app);
  fileSystems.register(program, app);
  consoleCmd.register(program, app);

  const iam = program.command('iam').description('access keys and roles of the API (who may call what)');
  iamAccessKeys.register(iam, app);
  iamRoles.register(iam, app);

  // Last: completion is generated from the whole tree, aliases are added to all of it.
  completionCommand(program, io);
  addAliases(program);
  return program;
}

/** Help is wrapped at the terminal's width (else $COLUMNS, else 80), as kubectl and nomad do. */
function helpWidth(w: Writer, env: Io['env']): number {
  const columns = w.isTTY && w.columns ? w.columns : Number(env.COLUMNS);
  return Number.isInteger(columns) && columns >= 40 ? columns : 80;
}

/** Prints an error the way users and scripts expect and returns the exit code. */
export function reportError(err: unknown, io: Io): number {
  if (err instanceof ApiError) {
    io.stderr.write(`error: ${err.type}: ${err.message}\n`);
    return EXIT_API_ERROR;
  }
  if (err instanceof CommanderError) {
    // Commander has printed its own message already.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') return err.exitCode === 0 ? 0 : EXIT_USAGE;
    return EXIT_USAGE;
  }
  if (err instanceof CliError) {
    io.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof TransportError) {
    io.stderr.write(`error: ${err.message}\n`);
    return EXIT_TRANSPORT_ERROR;
  }
  if (err instanceof Error && err.name === 'AbortError') return EXIT_INTERRUPTED;
  io.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

export async function run(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const app: App = {
    contextOf(cmd) {
      const globals = resolveGlobals(cmd.optsWithGlobals(), io.env);
      if (globals.query !== undefined) checkQuery(globals.query);
      const client = new ApiClient({
        endpoint: globals.endpoint,
        serviceEndpoints: globals.serviceEndpoints,
        signer: requestSignerFrom(io.env, { ...(globals.profile ? { profile: globals.profile } : {}), ...(globals.region ? { region: globals.region } : {}) }, (f) => io.readFile(f)),
        userAgent: `stevedore-cli/${VERSION}`,
        ...(globals.caBundle ? { caBundle: () => io.readFile(globals.caBundle!) } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      return { ...globals, client, io };
    },
    setExitCode(code) {
      exitCode = code;
    },
  };
  try {
    await buildProgram(io, app).parseAsync(argv, { from: 'user' });
  } catch (err) {
    return reportError(err, io);
  }
  return exitCode;
}
