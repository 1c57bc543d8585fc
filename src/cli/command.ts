import type { Config } from '../../config/load.js';
import type { OptionSpec, RawValues } from './args.js';
import type { CliContext } from './context.js';
import type { CommandResult } from './output.js';

export interface Command {
  /** "orgs add" */
  name: string;
  summary: string;
  /** the full --help text */
  help: string;
  options: OptionSpec;
  /** false for `migrate`, which applies and reports the migrations itself */
  migrateFirst?: boolean;
  /** Validates the options (throwing CliUsageError) and returns the work to do. */
  prepare(values: RawValues, config: Config): (ctx: CliContext) => Promise<CommandResult>;
}
