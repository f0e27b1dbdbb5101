// Logs go to stderr, one line each; stdout stays free for a capture stream (--capture -).

export type LogLevel = 'quiet' | 'normal' | 'verbose';

export class Log {
  constructor(private level: LogLevel) {}
  info(msg: string): void { if (this.level !== 'quiet') process.stderr.write(`umacvlan: ${msg}\n`); }
  debug(msg: string): void { if (this.level === 'verbose') process.stderr.write(`umacvlan: ${msg}\n`); }
  /** Warnings and errors are printed even under --quiet: they say something went wrong. */
  warn(msg: string): void { process.stderr.write(`umacvlan: ${msg}\n`); }
  /** The readiness line is exact, without prefix, whatever the level: scripts wait for it. */
  ready(): void { process.stderr.write('ready\n'); }
}

