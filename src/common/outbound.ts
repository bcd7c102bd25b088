import { request as httpRequest } from "node:http";

/**
 * node:http's or node:https's request function for a URL. https (and with it tls and crypto) is
 * loaded only when an https URL is first used: most runners push to no one and query no API.
 */
export async function requestFunction(url: URL): Promise<typeof httpRequest> {
  return url.protocol === "https:" ? (await import("node:https")).request : httpRequest;
}
