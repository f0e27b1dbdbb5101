// src/capture/errors.ts — the capture's failures, each with a stable code and the field it is about.
// Formatted once here; control prints .message and may branch on .code.

export type CaptureErrorCode =
  /** --capture-filter without libpcap.so.0.8 on the machine */
  | 'UMV_ERR_NO_LIBPCAP'
  /** the filter expression does not compile (libpcap's text) or compiles to something we cannot run */
  | 'UMV_ERR_CAPTURE_FILTER'
  /** the capture file cannot be created or its header cannot be written */
  | 'UMV_ERR_CAPTURE_OPEN'
  /** a write failed after the start: the frames of that write are counted as dropped */
  | 'UMV_ERR_CAPTURE_WRITE';

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly code: CaptureErrorCode,
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
