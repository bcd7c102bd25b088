import { isIPv4, isIPv6 } from "node:net";

/**
 * The network a peer address belongs to, as the pool and the budgets count clients: its /24 for
 * IPv4 (an IPv4-mapped IPv6 address too), its /56 for IPv6 (what a provider gives one customer;
 * anyone holding a /64 or a /56 can use every address in it, so counting by address would let
 * one client be thousands). Anything else (a Unix socket, say) is its own network.
 */
export function networkOf(address: string): string {
  const v4 = address.toLowerCase().startsWith("::ffff:") && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(v4)) return `${v4.slice(0, v4.lastIndexOf("."))}.0/24`;
  if (!isIPv6(address)) return address;
  const [head = "", tail] = address.toLowerCase().split("::");
  const part = (text: string | undefined) => (text ? text.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])) : []);
  const front = part(head);
  const back = part(tail);
  const groups = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill("0"), ...back];
  const [a = "0", b = "0", c = "0", d = "0"] = groups;
  const g = (x: string) => parseInt(x, 16) || 0;
  return `${[g(a), g(b), g(c), g(d) & 0xff00].map((n) => n.toString(16)).join(":")}::/56`;
}
