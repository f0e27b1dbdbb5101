// src/capture/errors.ts — the capture's failures, each with a stable code and the field it is about.
// Formatted once here; control prints .message and may branch on .code.

import type { ErrorCode } from '../errors/catalog.js';

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    /** UMV_ERR_NO_LIBPCAP, UMV_ERR_CAPTURE_FILTER, UMV_ERR_CAPTURE_OPEN or UMV_ERR_CAPTURE_WRITE (errors/catalog.ts) */
    readonly code: ErrorCode,
    message: string,
    /** the file (or '-') or the filter expression the error is about */
    readonly subject: string,
    /** 'ENOSPC', 'EACCES', … when the system said no */
    readonly errno?: string,
  ) {
    super(message);
  }
}

/** The one line printed when --capture-filter is asked for and libpcap is not installed. */
export const NO_LIBPCAP_MESSAGE = '--capture-filter needs libpcap: apt-get install libpcap0.8';
