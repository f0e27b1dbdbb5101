// VLAN uppers from rtnetlink bytes. This machine's kernel has no 802.1Q, so it cannot make these messages: they are
// built here from the uapi layout (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h), as the kernel lays out a
// vlan device's RTM_NEWLINK (rtnl_fill_ifinfo: IFLA_LINK, IFLA_LINK_NETNSID, IFLA_LINKINFO{KIND "vlan", DATA{
// IFLA_VLAN_ID, IFLA_VLAN_PROTOCOL (big-endian)}}) and a moved link's RTM_DELLINK (IFLA_NEW_NETNSID, IFLA_NEW_IFINDEX).
import { describe, expect, test } from 'vitest';
import { IFLA, IFLA_VLAN, RTM, RTM_NSID, parseVlanLinks, type NsidEvent, type VlanLinkEvent } from '../../../src/io/rtnetlink-codec.js';

const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const be16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const pad = (b: number[]): number[] => { const o = [...b]; while (o.length % 4) o.push(0); return o; };
/** struct nlattr + payload, padded; `nested` sets NLA_F_NESTED as the kernel does for IFLA_LINKINFO and INFO_DATA */
const attr = (type: number, data: number[], nested = false): number[] =>
  pad([...le16(4 + data.length), ...le16(type | (nested ? 0x8000 : 0)), ...data]);
const str = (s: string): number[] => [...Array.from(s, (c) => c.charCodeAt(0)), 0];

/** nlmsghdr + ifinfomsg + attributes */
function linkMsg(type: number, ifindex: number, attrs: number[][]): number[] {
  const body = [0, 0, ...le16(1), ...le32(ifindex), ...le32(0x1043), ...le32(0), ...attrs.flat()];
  return [...le32(16 + body.length), ...le16(type), ...le16(0), ...le32(0), ...le32(0), ...body];
}
function vlanInfo(vid: number, proto: number): number[] {
  return attr(IFLA_VLAN.LINKINFO, [
    ...attr(IFLA_VLAN.INFO_KIND, str('vlan')),
    ...attr(IFLA_VLAN.INFO_DATA, [...attr(IFLA_VLAN.VLAN_ID, le16(vid)), ...attr(IFLA_VLAN.VLAN_PROTOCOL, be16(proto))], true),
  ], true);
}
function parse(bytes: number[]): { links: VlanLinkEvent[]; nsids: NsidEvent[] } {
  const links: VlanLinkEvent[] = [];
  const nsids: NsidEvent[] = [];
  const b = Uint8Array.from(bytes);
  parseVlanLinks(b, b.length, (e) => links.push(e), (e) => nsids.push(e));
  return { links, nsids };
}

describe('VLAN uppers in link messages', () => {
  test('an 802.1Q and an 802.1ad upper of ifindex 2, one with its lower in another namespace', () => {
    const { links } = parse([
      ...linkMsg(RTM.NEWLINK, 9, [attr(IFLA.IFNAME, str('p0.100')), attr(IFLA.LINK, le32(2)), vlanInfo(100, 0x8100)]),
      ...linkMsg(RTM.NEWLINK, 4, [attr(IFLA.LINK, le32(2)), attr(IFLA_VLAN.LINK_NETNSID, le32(3)), vlanInfo(4095, 0x88a8)]),
    ]);
    expect(links).toEqual([
      { type: 'new', ifindex: 9, link: 2, linkNetnsid: null, newNetnsid: null, newIfindex: null, vlan: { proto: 0x8100, vid: 100 } },
      { type: 'new', ifindex: 4, link: 2, linkNetnsid: 3, newNetnsid: null, newIfindex: null, vlan: { proto: 0x88a8, vid: 4095 } },
    ]);
  });

  test('other kinds are not VLANs; a link without IFLA_LINKINFO has none; a moved link says where it went', () => {
    const macvlan = attr(IFLA_VLAN.LINKINFO, [...attr(IFLA_VLAN.INFO_KIND, str('macvlan')), ...attr(IFLA_VLAN.INFO_DATA, attr(1, le32(4)), true)], true);
    const { links } = parse([
      ...linkMsg(RTM.NEWLINK, 5, [attr(IFLA.LINK, le32(2)), macvlan]),
      ...linkMsg(RTM.NEWLINK, 6, [attr(IFLA.IFNAME, str('veth0'))]),
      ...linkMsg(RTM.DELLINK, 9, [attr(IFLA.LINK, le32(2)), attr(IFLA_VLAN.NEW_NETNSID, le32(1)), attr(IFLA_VLAN.NEW_IFINDEX, le32(17)), vlanInfo(100, 0x8100)]),
    ]);
    expect(links.map((l) => [l.type, l.ifindex, l.link, l.vlan, l.newNetnsid, l.newIfindex])).toEqual([
      ['new', 5, 2, null, null, null],
      ['new', 6, -1, null, null, null],
      ['del', 9, 2, { proto: 0x8100, vid: 100 }, 1, 17],
    ]);
  });

  test('the VID is the low 12 bits; a vlan without IFLA_VLAN_ID is not taken for one', () => {
    const noId = attr(IFLA_VLAN.LINKINFO, [...attr(IFLA_VLAN.INFO_KIND, str('vlan')), ...attr(IFLA_VLAN.INFO_DATA, attr(IFLA_VLAN.VLAN_PROTOCOL, be16(0x8100)), true)], true);
    const { links } = parse([...linkMsg(RTM.NEWLINK, 9, [vlanInfo(0xf064, 0x8100)]), ...linkMsg(RTM.NEWLINK, 10, [noId])]);
    expect(links.map((l) => l.vlan)).toEqual([{ proto: 0x8100, vid: 100 }, null]);
  });

  test('RTM_NEWNSID / RTM_DELNSID carry the namespace id (NETNSA_NSID after struct rtgenmsg)', () => {
    const nsMsg = (type: number, nsid: number): number[] => {
      const body = [0, 0, 0, 0, ...attr(1, le32(nsid))];
      return [...le32(16 + body.length), ...le16(type), ...le16(0), ...le32(0), ...le32(0), ...body];
    };
    expect(parse([...nsMsg(RTM_NSID.NEW, 3), ...nsMsg(RTM_NSID.DEL, 3)]).nsids).toEqual([{ type: 'new', nsid: 3 }, { type: 'del', nsid: 3 }]);
  });

  test('a message or an attribute running past the datagram is not read past its end', () => {
    const good = linkMsg(RTM.NEWLINK, 9, [attr(IFLA.LINK, le32(2)), vlanInfo(100, 0x8100)]);
    const b = Uint8Array.from(good);
    const seen: VlanLinkEvent[] = [];
    parseVlanLinks(b, b.length - 4, (e) => seen.push(e));
    expect(seen).toEqual([]);
    const cut = [...good];
    cut[40] = 0xff;  // IFLA_LINKINFO (after the 8 bytes of IFLA_LINK at 32) claims 255 bytes
    parseVlanLinks(Uint8Array.from(cut), cut.length, (e) => seen.push(e));
    expect(seen.map((e) => [e.link, e.vlan])).toEqual([[2, null]]);
  });
});
