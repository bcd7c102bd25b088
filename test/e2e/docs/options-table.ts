import { flagOf } from "../../../src/cli.js";
import { OPTIONS, type OptionKey, type OptionSpec } from "../../../src/config/options.js";

/** The README's configuration table rows, generated from the one table of options. */
export function optionRows(): string[] {
  return (Object.keys(OPTIONS) as OptionKey[]).map((key) => {
    const spec = OPTIONS[key] as OptionSpec<unknown>;
    const flag = flagOf(spec);
    const description = spec.description.charAt(0).toUpperCase() + spec.description.slice(1);
    return `| \`${spec.env}\` | \`${flag}\` | ${spec.defaultText} | ${description}. |`;
  });
}
