// What every subcommand gets: the parsed global options, and its own args.
import type { Argv } from 'yargs';

export interface Globals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  rootless: string;
}

export type Args = Globals & Record<string, unknown> & { _: Array<string | number> };

export interface Command {
  command: string;
  describe: string;
  builder?: (y: Argv) => Argv;
  /** Resolves to the exit code. */
  run: (a: Args) => number | Promise<number>;
}
