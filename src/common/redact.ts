/**
 * A URL (or text holding one) with its user info masked: what a log line or an error may show.
 * Works on text that does not parse as a URL too, since a rejected value is printed as given.
 */
export function withoutCredentials(text: string): string {
  return text.replace(/(\/\/)[^/?#@\s]*@/g, "$1***@");
}

/** Whether a URL carries user info (a user name or a password). */
export function hasCredentials(url: string): boolean {
  return withoutCredentials(url) !== url;
}
