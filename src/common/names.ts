/**
 * Short lowercase names, used wherever a value becomes a label value that operators type:
 * runner types and cache types. One pattern, one wording of it.
 */
export const SHORT_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
export const SHORT_NAME_RULE = "a short lowercase name: a letter, then up to 31 of a-z 0-9 _ -";

/** The label value for everything a bounded label does not keep (a cache type or job label value). */
export const OTHER = "other";
