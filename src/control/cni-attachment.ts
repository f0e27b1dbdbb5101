// cni-attachment.ts — what a CNI child keeps besides its settings: the attachment it serves (network name, container
// ID, interface name) and the IPs its IPAM result gave it; in the state file under the child's `cni` key. And the
// tombstones a DEL leaves when no daemon answered (native/cni-shim-del.c), named here the same way.

export interface CniAttachment {
  network: string;
  containerId: string;
  /** CNI_IFNAME: the link's name inside the container's namespace (the child's handle is another name) */
  ifname: string;
  /** the IPAM result's addresses, CIDR text */
  ips: string[];
}

/** The directory of tombstones, beside the control socket */
export const TOMBSTONES = 'cni-tombstones';

/** The tombstone's file name for (container ID, interface): every byte outside [A-Za-z0-9_.-] as %XX, joined by ~. */
export function tombstoneName(containerId: string, ifname: string): string {
  const esc = (s: string): string => [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9_.-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
  return `${esc(containerId)}~${esc(ifname)}`;
}

/** The `cni` key of a state-file child, or why it is not one. */
export function readAttachment(v: unknown): CniAttachment | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'is not an object';
  const o = v as Record<string, unknown>;
  for (const k of ['network', 'containerId', 'ifname'] as const) {
    if (typeof o[k] !== 'string' || o[k] === '') return `.${k} is not a string`;
  }
  if (!Array.isArray(o.ips) || !o.ips.every((ip) => typeof ip === 'string')) return '.ips is not a list of strings';
  return { network: o.network as string, containerId: o.containerId as string, ifname: o.ifname as string, ips: [...o.ips as string[]] };
}

/** The text `show` gives an attachment: NETWORK CONTAINERID/IFNAME */
export const attachmentText = (a: CniAttachment): string => `${a.network} ${a.containerId}/${a.ifname}`;
