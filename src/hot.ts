// The body of each hot command's own bundle in the shipped executable
// (scripts/bundle.mjs makes dist/carton's hot-<name>.js from this file and
// commands/<name>.ts only, and src/standalone.ts picks one from argv). Such
// a bundle holds what that command runs and nothing else: no yargs, no help,
// no other command, so the runtime loads a few KiB of code instead of the
// whole CLI. It ends as the full CLI does (finish.ts).
import type { Args, Command } from './commands/types';
import { finish } from './finish';
import { configureLog } from './log';

export function runHot(command: Command, args: Args): void {
  configureLog({ file: args.log, format: args.logFormat === 'json' ? 'json' : 'text', debug: args.debug });
  finish(new Promise<number>((resolve) => resolve(command.run(args))));
}
