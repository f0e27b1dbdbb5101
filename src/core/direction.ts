// Which way a frame crossed its port: what the datapath hands a capture and what a capture file records.
// The values are pcapng's epb_flags direction bits (bits 0-1), so a record's direction goes into the file as is.

export const Dir = {
  /** arrived on the port (from the wire for the parent, from the child's TAP for a child) */
  IN: 1,
  /** the dispatcher sent it out through the port */
  OUT: 2,
} as const;
export type Direction = (typeof Dir)[keyof typeof Dir];
