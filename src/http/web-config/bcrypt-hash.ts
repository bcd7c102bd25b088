/** A bcrypt hash as htpasswd -B, Go's bcrypt and bcryptjs write it: $2a$, $2b$ or $2y$, a two-digit cost, 53 characters of salt and hash. */
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** What a bcrypt hash may look like, for error messages. */
export const BCRYPT_RULE = "a bcrypt hash ($2a$, $2b$ or $2y$, a cost from 04 to 31, 60 characters)";

/** The cost of a bcrypt hash (each step doubles the work), or undefined when the text is not one. */
export function bcryptCost(hash: string): number | undefined {
  const m = BCRYPT.exec(hash);
  if (!m) return undefined;
  const cost = Number(m[1]);
  return cost >= 4 && cost <= 31 ? cost : undefined;
}
