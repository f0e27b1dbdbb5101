// Preloaded into the umacvlan daemon by the system bench (node --import): turns on V8's --trace-gc from inside.
// Same output as the command-line flag, but it does not appear in process.execArgv, which the daemon hands to its
// data-path Worker, and Node refuses per-process V8 flags there (ERR_WORKER_INVALID_EXEC_ARGV).
// V8 flags are per process, so the worker's isolate traces too; each line names its isolate.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--trace-gc');
