// A foreground process, shared by `run` and `exec`: carton stays its parent,
// forwards signals, relays the terminal and exits with its status.
import * as fs from 'fs';
import { Deadline } from '../deadline';
import { phase } from '../log';
import { addon } from '../native';

// Not SIGPIPE: carton only ever gets it from its own writes (a hook that
// does not read its stdin), and handling it at all would un-ignore it.
const FORWARDED: NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGALRM',
  'SIGCONT',
  'SIGTSTP',
];

/**
 * Stay the parent of `pid` (our child through CLONE_PARENT): take the pty
 * master if it comes back to us, forward signals, run `begin` (start), relay
 * the terminal, and resolve to the exit status (128+N for a signal).
 */
export async function foreground(
  pid: number,
  consoleSock: number | undefined,
  begin: () => void = () => undefined,
): Promise<number> {
  const a = addon();
  let master: number | undefined;
  if (consoleSock !== undefined) {
    try {
      // init sends the pty master before 'R', so it is there already; a bound anyway.
      const deadline = new Deadline();
      if (!a.pollIn(consoleSock, Math.max(1, deadline.left())))
        throw deadline.error('carton-init to send the pty master');
      master = a.recvFd(consoleSock);
    } finally {
      a.close(consoleSock);
    }
  }
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already exited
    }
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  try {
    begin();
    const relay = master !== undefined ? relayTerminal(master) : Promise.resolve();
    const st = await a.waitPidAsync(pid);
    phase('exited');
    await Promise.race([relay, new Promise((r) => setTimeout(r, 200))]);
    return st.code;
  } finally {
    for (const sig of FORWARDED) process.off(sig, forward);
    // process.stdin is created on first access (~15 ms): only a relay touches it.
    if (master !== undefined) {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.pause();
    }
  }
}

/** Give the pty our terminal's size now and whenever it changes (SIGWINCH). */
function followWindowSize(master: number): void {
  if (!process.stdout.isTTY) return;
  const apply = () => {
    try {
      addon().setWinsize(master, process.stdout.rows, process.stdout.columns);
    } catch {
      // the pty is gone
    }
  };
  apply();
  process.on('SIGWINCH', apply);
}

/** Copy stdin to the pty master and the master to stdout, in raw mode, until the pty closes. */
function relayTerminal(master: number): Promise<void> {
  followWindowSize(master);
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.on('data', (d: Buffer) => {
    try {
      fs.writeSync(master, d);
    } catch {
      // the container is gone
    }
  });
  // Loaded here: tty pulls in net and stream (~6 ms) that a run without a terminal never needs.
  const tty = require('tty') as typeof import('tty');
  const out = new tty.ReadStream(master);
  return new Promise((resolve) => {
    out.on('data', (d: Buffer) => fs.writeSync(1, d));
    out.on('error', () => resolve()); // EIO once the last slave fd closes
    out.on('end', () => resolve());
    out.on('close', () => resolve());
  });
}
