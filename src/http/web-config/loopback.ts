/** Whether a peer address is this machine's (or this container's) loopback: 127.0.0.0/8, ::1, or 127.x as an IPv4-mapped IPv6 address. */
export function isLoopback(address: string): boolean {
  if (address === "::1") return true;
  const v4 = address.toLowerCase().startsWith("::ffff:") ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
