// How a bench ends on an error: one line saying what went wrong, exit status 1. The stack is for whoever debugs the
// bench itself, behind UMV_DEBUG=1 (a bad option or a missing tool is not a bug of the bench).
export function benchFailed(what: string, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  // an option the parser refused, or one of ours ("--rounds: …"): the help says what is accepted
  const usage = /^ERR_PARSE_ARGS/.test(String((e as { code?: unknown }).code)) || message.startsWith('--');
  console.error(`${what} failed: ${message.split('\n').filter((l) => l.trim() !== '').join(' | ')}${usage ? ` (${what} -- --help)` : ''}`);
  if (process.env.UMV_DEBUG && e instanceof Error && e.stack) console.error(e.stack);
  process.exitCode = 1;
}
