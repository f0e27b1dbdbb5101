// mac.ts — a MAC as a CNI config or CNI_ARGS writes it, in the forms Go's net.ParseMAC reads for 48 bits.
//
// The reference plugin hands the text to net.ParseMAC: six hex pairs separated by ":" or "-", or three groups of
// four hex digits separated by "." (either case). What a device may have (unicast, not zero) is the kernel's rule,
// asked of values/macs-modes.ts like every other MAC umacvlan takes.

import { parseUnicastMac } from '../values/macs-modes.js';
import { CniError } from './cni-error.js';

const COLON_OR_DASH = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}$/;
const DOTTED = /^([0-9a-fA-F]{4})\.([0-9a-fA-F]{4})\.([0-9a-fA-F]{4})$/;

/** The MAC as a number; CniError `code` naming `where` (e.g. 'mac', 'CNI_ARGS MAC') and the text. */
export function parseCniMac(text: string, where: string, code: number): number {
  let colons: string | null = null;
  if (COLON_OR_DASH.test(text)) colons = text.replace(/-/g, ':');
  const d = DOTTED.exec(text);
  if (d) colons = d.slice(1).join('').replace(/(..)(?!$)/g, '$1:');
  if (colons === null) {
    throw new CniError(code, `invalid args ${text} for MAC addr: address ${text}: invalid MAC address`, `${where} is not a 48-bit MAC`);
  }
  const mac = parseUnicastMac(colons);
  if (typeof mac !== 'number') throw new CniError(code, `invalid ${where} ${text}: ${mac.detail}`);
  return mac;
}
