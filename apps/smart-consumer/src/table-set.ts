const ANY = '^.*$';
const GLOB = /^[A-Za-z0-9_*]{1,128}$/;

function compile(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/\*+/g, '.*')}$`);
}

/**
 * The tables one smart consumer publishes (`WAIL_CONSUMER_TABLES`), so a noisy
 * table can have a consumer group of its own that scales alone.
 *
 * Grammar (whitespace around an entry is ignored; nothing else is allowed):
 *
 *   tables  = entry *( "," entry )
 *   entry   = [ "!" ] glob
 *   glob    = 1*128( ALPHA / DIGIT / "_" / "*" )   ; "*": any run of characters, possibly none
 *
 * A table belongs to the set when it matches at least one entry without "!"
 * (none at all means "*") and no entry with "!". Matching is case-sensitive,
 * like table names. An exclusion that is only stars (`!*`) would leave no table
 * and is refused.
 */
export class TableSet {
  private constructor(
    private readonly included: readonly RegExp[],
    private readonly excluded: readonly RegExp[],
    private readonly text: string,
  ) {}

  static readonly everything = TableSet.parse('*');

  /** Throws a RangeError saying what is wrong with `text`. */
  static parse(text: string): TableSet {
    const included: RegExp[] = [];
    const excluded: RegExp[] = [];
    const entries = text.split(',').map((entry) => entry.trim());
    for (const entry of entries) {
      const exclusion = entry.startsWith('!');
      const glob = exclusion ? entry.slice(1) : entry;
      if (!GLOB.test(glob))
        throw new RangeError(
          entry === ''
            ? 'an entry is empty'
            : `entry ${JSON.stringify(entry)} is not a table name or glob (letters, digits, "_" and "*", at most 128, optionally after one "!")`,
        );
      (exclusion ? excluded : included).push(compile(glob));
    }
    if (excluded.some((pattern) => pattern.source === ANY))
      throw new RangeError('"!*" excludes every table');
    if (included.length === 0) included.push(compile('*'));
    return new TableSet(included, excluded, entries.join(','));
  }

  /** Whether every table belongs to the set. */
  get isEverything(): boolean {
    return this.excluded.length === 0 && this.included.some((pattern) => pattern.source === ANY);
  }

  has(table: string): boolean {
    return (
      this.included.some((pattern) => pattern.test(table)) &&
      !this.excluded.some((pattern) => pattern.test(table))
    );
  }

  toString(): string {
    return this.text;
  }
}
