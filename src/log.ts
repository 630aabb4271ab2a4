// Logging as runc does it, because engines parse it: with --log-format json
// every record is one line {"level","msg","time"}, appended to the --log file
// (containerd keeps the last "error" line of <bundle>/log.json; podman parses
// the whole file as one object, so at the default level only the fatal error
// is written). The fatal error also goes to stderr as plain text.
import * as fs from 'fs';

export type LogFormat = 'text' | 'json';
type Level = 'debug' | 'info' | 'warning' | 'error';

interface LogConfig {
  file?: string;
  format: LogFormat;
  debug: boolean;
}

let cfg: LogConfig = { format: 'text', debug: false };
let fileFd: number | undefined;
const t0 = process.hrtime.bigint();

export function configureLog(c: LogConfig): void {
  cfg = c;
}

function rfc3339(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function render(level: Level, msg: string, format: LogFormat): string {
  if (format === 'json') return JSON.stringify({ level, msg, time: rfc3339() }) + '\n';
  return `time="${rfc3339()}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

function toFile(line: string): void {
  if (!cfg.file) return;
  try {
    // O_APPEND keeps concurrent writers' lines whole; runc also uses O_SYNC.
    if (fileFd === undefined)
      fileFd = fs.openSync(
        cfg.file,
        fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_SYNC,
        0o644,
      );
    fs.writeSync(fileFd, line);
  } catch {
    // A log file we cannot write must not turn success into failure.
  }
}

function record(level: Level, msg: string): void {
  if (cfg.file) toFile(render(level, msg, cfg.format));
  else process.stderr.write(render(level, msg, cfg.format));
}

export function debugEnabled(): boolean {
  return cfg.debug;
}

export function debug(msg: string): void {
  if (cfg.debug) record('debug', msg);
}

export function warn(msg: string): void {
  record('warning', msg);
}

/**
 * Per-phase timing for --debug: "phase validate at 12.3ms (cpu 4.1+2.0ms)":
 * wall time since the module loaded, and the process's own user+system CPU
 * time since it started (what carton itself spent, not the kernel's waits).
 */
export function phase(name: string): void {
  if (!cfg.debug) return;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage();
  record(
    'debug',
    `phase ${name} at ${ms.toFixed(1)}ms (cpu ${(cpu.user / 1e3).toFixed(1)}+${(cpu.system / 1e3).toFixed(1)}ms)`,
  );
}

/** The one line a failed command leaves. */
export function fatal(msg: string): void {
  if (cfg.file) {
    toFile(render('error', msg, cfg.format));
    fs.writeSync(2, msg + '\n');
  } else if (cfg.format === 'json') {
    fs.writeSync(2, render('error', msg, 'json'));
  } else {
    fs.writeSync(2, `carton: ${msg}\n`);
  }
}
