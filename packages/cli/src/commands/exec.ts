import type { Command } from 'commander';
import { joinCommand } from '@stevedore/core';
import { action, CliError, type App } from '../context';
import { runExecStream, type ExecSessionInfo } from '../exec-session';

interface Opts {
  container?: string;
  tty?: boolean;
}

export function register(program: Command, app: App): void {
  program
    .command('exec')
    .description(
      'run a command in a running container of a task (ECS ExecuteCommand; the task needs enableExecuteCommand). ' +
        'Interactive with a TTY when stdin and stdout are a terminal; otherwise stdin is piped and the command\'s exit code is the CLI\'s. ' +
        'This is the client of the session ExecuteCommand returns (the AWS CLI\'s execute-command needs AWS\'s Session Manager plugin instead)',
    )
    .argument('<task>', 'task id or ARN')
    .argument('[command...]', 'the command and its arguments, after -- (default /bin/sh)')
    .option('--container <name>', 'container name (required when the task has several)')
    .option('--no-tty', 'never ask for a TTY, even on a terminal (stdout and stderr stay apart)')
    .action(
      action<[string, string[]], Opts>(app, async (ctx, opts, task, command) => {
        const term = ctx.io.terminal;
        if (!term) throw new CliError('exec needs the process\'s terminal (stdin and stdout)');
        const argv = command.length > 0 ? command : ['/bin/sh'];
        const body: Record<string, unknown> = { cluster: ctx.cluster, task, command: joinCommand(argv), interactive: true };
        if (opts.container !== undefined) body.container = opts.container;
        const res = await ctx.client.call<{ session: ExecSessionInfo }>('ExecuteCommand', body);
        const ca = ctx.caBundle && res.session.streamUrl.startsWith('wss:') ? await ctx.io.readFile(ctx.caBundle) : undefined;
        return runExecStream(res.session, term, {
          tty: opts.tty !== false && term.isTTY,
          ...(ca !== undefined ? { ca } : {}),
          ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
        });
      }),
    );
}
