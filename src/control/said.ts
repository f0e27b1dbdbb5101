// said.ts — a value together with where the user said it, so that an error about it names the flag as given
// (`--child a:…`) or the key's path (`config children[0]`).

import { clip, UsageError, type UsageCode } from './usage-error.js';

/** A value and where it was said: `field` starts an error message; a flag's `text` is echoed after it. */
export interface Said<T> {
  value: T;
  field: string;
  /** the value as written: the flag's argument ('' for a flag without one), or the JSON text of the file's value */
  text: string;
  from: 'flag' | 'file';
}

/** The refusal of a said value: its field starts the message, a flag's text is echoed after it. */
export const blame = (s: Said<unknown>, detail: string, code: UsageCode = 'UMV_ERR_USAGE'): UsageError =>
  new UsageError(s.field, detail, code, s.from === 'flag' && s.text !== '' ? s.text : undefined);
/** A said value as another message names it: `--child a:…` or `config children[0]`. */
export const cite = (s: Said<unknown>): string =>
  (s.from === 'flag' && s.text !== '' ? `${s.field} ${clip(s.text, 40)}` : s.field);

