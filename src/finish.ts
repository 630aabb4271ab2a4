// How every carton process ends, whichever parser ran: exit with the
// command's code, or print the one error line and exit with its kind's code.
// Shared by the full CLI (cli.ts) and the shipped executable's per-command
// bundles (hot.ts), so both end the same way.
import * as fs from 'fs';
import { CartonError, firstLine } from './errors';
import { fatal } from './log';

/** fd 1 is a pipe or socket whose reader is gone (poll reports POLLERR for it). */
function stdoutBroken(): boolean {
  try {
    const { addon } = require('./native') as typeof import('./native');
    return (addon().pollEvents(1, 4 /* POLLOUT */, 0) & (8 /* POLLERR */ | 16)) /* POLLHUP */ !== 0;
  } catch {
    return true;
  }
}

/**
 * CARTON_DEBUG_MODULES=1: list on stderr, before exiting, every module file
 * the runtime loaded (each bundle of the executable, the addon), so a test
 * can see that a command loaded nothing it does not use.
 */
function exit(code: number): never {
  if (process.env.CARTON_DEBUG_MODULES) {
    const { addonFile } = require('./native') as typeof import('./native');
    const files = [...Object.keys(require.cache ?? {}), ...(addonFile ? [addonFile] : [])];
    fs.writeSync(2, files.map((m) => `carton: module ${m}\n`).join(''));
  }
  process.exit(code);
}

export function finish(done: Promise<number>): void {
  done.then(
    (code) => exit(code),
    (e: unknown) => {
      // stdout closed under us (`carton list | head -1`): end as a process
      // with the default SIGPIPE disposition would, without an error line.
      // Only then: an EPIPE from anything else (a dead carton-init's socket)
      // is an error with a message, never a silent 141.
      if ((e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' && stdoutBroken()) exit(128 + 13);
      const msg = e instanceof Error ? e.message : String(e);
      fatal(firstLine(msg));
      exit(e instanceof CartonError ? e.exitCode : 1);
    },
  );
}
