// nat-ingress.ts — keeps the parent's own stack out of what --mac-nat delivers to children. A packet socket cannot
// take a frame away: the parent's stack receives every frame to its MAC, and with ip_forward=1 would route the
// children's traffic back out (duplicates, redirects). An nftables netdev ingress chain on the parent — it runs
// after the packet sockets, so the daemon still sees the frames — drops frames to the parent's MAC whose
// destination is a child's address, from two sets kept in step with the address table; the table goes at exit.
// (tc cannot drop on this kernel: no act_gact, cls_matchall or cls_flower.) Control-side I/O only: each change is
// one `nft -f -` run, in order, never on the data path. Without nft: one clear line, and nothing else tried.

import { spawn } from 'node:child_process';
import type { IngressDrop } from './nat-owners.js';
import type { Log } from './log.js';

/** The nft script that creates the table (deleting a stale one of the same name first) */
export function ingressTable(table: string, parent: string, parentMac: string): string {
  return [
    `table netdev ${table}`,
    `delete table netdev ${table}`,
    `table netdev ${table} {`,
    '  set v4 { type ipv4_addr; }',
    '  set v6 { type ipv6_addr; }',
    `  chain ingress { type filter hook ingress device ${JSON.stringify(parent)} priority 0; policy accept;`,
    `    ether daddr ${parentMac} ip daddr @v4 drop`,
    `    ether daddr ${parentMac} ip6 daddr @v6 drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The nft line that adds or removes one address of a set */
export function elementLine(table: string, op: 'add' | 'delete', addr: string): string {
  return `${op} element netdev ${table} ${addr.includes(':') ? 'v6' : 'v4'} { ${addr} }\n`;
}

export const NFT_MISSING = 'mac-nat: nft not found (Debian package nftables): the parent\'s own stack also receives ' +
  'what children are sent, and with ip_forward=1 routes it back out';

export class NftIngress implements IngressDrop {
  private chain: Promise<void> = Promise.resolve();
  private missing = false;
  private readonly table: string;

  constructor(private readonly parent: string, parentMac: string, private readonly log: Log, ifindex: number,
    private readonly nft = 'nft') {
    this.table = `umacvlan_nat_${ifindex}`;
    this.run(ingressTable(this.table, parent, parentMac));
  }

  add(addr: string): void { this.run(elementLine(this.table, 'add', addr)); }
  remove(addr: string): void { this.run(elementLine(this.table, 'delete', addr)); }

  async close(): Promise<void> {
    this.run(`delete table netdev ${this.table}\n`);
    await this.chain;
  }

  private run(script: string): void {
    this.chain = this.chain.then(() => this.exec(script));
  }

  private exec(script: string): Promise<void> {
    if (this.missing) return Promise.resolve();
    return new Promise((resolve) => {
      const child = spawn(this.nft, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => { if (err.length < 500) err += d.toString(); });
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') { this.missing = true; this.log.warn(NFT_MISSING); } else this.log.warn(`mac-nat: nft: ${e.message}`);
        resolve();
      });
      child.on('close', (code) => {
        if (code !== 0 && code !== null) this.log.warn(`mac-nat: nft on ${this.parent}: ${err.trim().split('\n')[0] ?? `exit ${code}`}`);
        resolve();
      });
      child.stdin.on('error', () => { /* the close handler reports */ });
      child.stdin.end(script);
    });
  }
}
