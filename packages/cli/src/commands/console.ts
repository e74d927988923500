import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX } from '../api-client';
import { action, parseIntOption, type App } from '../context';
import { printData } from '../output/structured';

/** The console page that redeems a token; the token rides in the fragment, which browsers never send to a server or put in a Referer. */
export function consoleSigninUrl(endpoint: URL, signinToken: string): string {
  return new URL(`/console/signin#token=${encodeURIComponent(signinToken)}`, endpoint).toString();
}

/** A browser can be opened when there is a display and xdg-open; otherwise the URL is only printed. */
function canOpenBrowser(env: Record<string, string | undefined>): boolean {
  return Boolean(env['DISPLAY'] || env['WAYLAND_DISPLAY']);
}

export function register(program: Command, app: App): void {
  program
    .command('console')
    .description('open the web console: prints a one-time sign-in URL (valid 5 minutes, single use) and opens it in a browser when one is available (GetConsoleSigninToken)')
    .option('--no-browser', 'only print the URL')
    .option('--session-duration <seconds>', 'how long the console session lasts once signed in (900-43200, default 3600)', parseIntOption('--session-duration', 900, 43_200))
    .action(
      action<[], { browser: boolean; sessionDuration?: number }>(app, async (ctx, opts) => {
        const r = await ctx.client.call<{ signinToken: string; expiresAt: number; sessionDurationSeconds: number }>(
          'GetConsoleSigninToken',
          opts.sessionDuration !== undefined ? { sessionDurationSeconds: opts.sessionDuration } : {},
          STEVEDORE_TARGET_PREFIX,
        );
        const url = consoleSigninUrl(ctx.client.endpoint, r.signinToken);
        if (ctx.structured) return printData(ctx, { url, expiresAt: r.expiresAt, sessionDurationSeconds: r.sessionDurationSeconds });
        ctx.io.stdout.write(`${url}\n`);
        ctx.io.stderr.write(`Sign-in link for the web console: valid for 5 minutes and for one sign-in (a console session of ${Math.round(r.sessionDurationSeconds / 60)} minutes). Keep it private.\n`);
        if (opts.browser && canOpenBrowser(ctx.io.env)) {
          const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
          child.on('error', () => ctx.io.stderr.write('could not start xdg-open: open the URL yourself\n'));
          child.unref();
        }
      }),
    );
}
