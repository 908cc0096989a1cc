import { isCompatibilityLevel, type CompatibilityLevel } from '../avro/compatibility';
import type { Stores } from '../storage/stores';
import { registryErrors as errors } from './errors';
import type { RegistryStores } from './stores';
import { validateSubject } from './subject-name';
import { isMode, type Mode } from './types';

const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';
const DEFAULT_MODE: Mode = 'READWRITE';

/**
 * Compatibility levels and modes (`/config`, `/mode`), global when `subject`
 * is undefined: a subject's own setting wins over the global one, which wins
 * over Confluent's defaults (BACKWARD, READWRITE).
 */
export class SubjectSettings {
  constructor(private readonly stores: Stores<RegistryStores>) {}

  /** What applies to `subject` now, for registering and checking. */
  async effective(subject: string): Promise<{ mode: Mode; compatibility: CompatibilityLevel }> {
    const { mode, compatibility } = await this.stores.autocommit.settings.effective(subject);
    return {
      mode: isMode(mode) ? mode : DEFAULT_MODE,
      compatibility: isCompatibilityLevel(compatibility) ? compatibility : DEFAULT_COMPATIBILITY,
    };
  }

  async getCompatibility(
    subject: string | undefined,
    defaultToGlobal: boolean,
  ): Promise<CompatibilityLevel> {
    const { settings } = this.stores.autocommit;
    const own = await settings.get(subject, 'compatibility');
    if (own && isCompatibilityLevel(own)) return own;
    if (subject !== undefined && !defaultToGlobal) throw errors.compatibilityNotConfigured(subject);
    const global = await settings.get(undefined, 'compatibility');
    return global && isCompatibilityLevel(global) ? global : DEFAULT_COMPATIBILITY;
  }

  async setCompatibility(subject: string | undefined, level: string): Promise<CompatibilityLevel> {
    if (subject !== undefined) validateSubject(subject);
    const upper = level.toUpperCase();
    if (!isCompatibilityLevel(upper)) throw errors.invalidCompatibility(level);
    await this.stores.autocommit.settings.put(subject, 'compatibility', upper);
    return upper;
  }

  async deleteCompatibility(subject: string | undefined): Promise<CompatibilityLevel> {
    const { settings } = this.stores.autocommit;
    const previous = await settings.get(subject, 'compatibility');
    if (subject !== undefined && !previous) throw errors.subjectNotFound(subject);
    await settings.put(subject, 'compatibility', null);
    return previous && isCompatibilityLevel(previous) ? previous : DEFAULT_COMPATIBILITY;
  }

  async getMode(subject: string | undefined, defaultToGlobal: boolean): Promise<Mode> {
    const { settings } = this.stores.autocommit;
    const own = await settings.get(subject, 'mode');
    if (own && isMode(own)) return own;
    if (subject !== undefined && !defaultToGlobal) throw errors.modeNotConfigured(subject);
    const global = await settings.get(undefined, 'mode');
    return global && isMode(global) ? global : DEFAULT_MODE;
  }

  /** IMPORT only over no versions (of the subject, or of any subject globally) unless forced. */
  async setMode(subject: string | undefined, mode: string, force: boolean): Promise<Mode> {
    if (subject !== undefined) validateSubject(subject);
    const upper = mode.toUpperCase();
    if (!isMode(upper)) throw errors.invalidMode(mode);
    const { schemas, settings } = this.stores.autocommit;
    if (upper === 'IMPORT' && !force && (await schemas.hasVersions(subject))) {
      throw errors.notPermitted(
        subject === undefined
          ? 'Cannot import since found existing subjects'
          : `Cannot import since subject ${subject} has versions`,
      );
    }
    await settings.put(subject, 'mode', upper);
    return upper;
  }

  async deleteMode(subject: string): Promise<Mode> {
    const { settings } = this.stores.autocommit;
    const previous = await settings.get(subject, 'mode');
    if (!previous) throw errors.subjectNotFound(subject);
    await settings.put(subject, 'mode', null);
    return isMode(previous) ? previous : DEFAULT_MODE;
  }
}
