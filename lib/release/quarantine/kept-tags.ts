/**
 * The tags a kept instance carries (QUARANTINE_TAGS), so that anyone who finds it in the console sees why it is
 * there and until when, without the record. EC2 tag values hold at most 256 characters.
 */
import { QUARANTINE_TAGS } from '../../contract';

/** EC2's limit on a tag value. */
export const TAG_VALUE_MAX = 256;

/** `value` cut to fit a tag, with an ellipsis when cut so a reader knows there was more. */
export function tagValue(value: string): string {
  return value.length <= TAG_VALUE_MAX ? value : `${value.slice(0, TAG_VALUE_MAX - 1)}…`;
}

/** What the tags say. */
export interface KeptTagValues {
  readonly reasons: readonly string[];
  readonly since: string;
  readonly expiresAt: string;
  readonly imageId?: string;
  readonly originalSecurityGroups: readonly string[];
}

/** The quarantine tags of a kept instance. */
export function keptTags(v: KeptTagValues): Record<string, string> {
  return {
    [QUARANTINE_TAGS.STATE]: 'kept',
    [QUARANTINE_TAGS.REASONS]: tagValue(v.reasons.join('; ')),
    [QUARANTINE_TAGS.SINCE]: v.since,
    [QUARANTINE_TAGS.EXPIRES]: v.expiresAt,
    ...(v.imageId ? { [QUARANTINE_TAGS.IMAGE]: v.imageId } : {}),
    [QUARANTINE_TAGS.ORIGINAL_GROUPS]: tagValue(v.originalSecurityGroups.join(' ')),
  };
}

/** Tags of its EBS snapshots: which service and colour, why and when, so they can be found and cleaned up. */
export function snapshotTags(service: string, colour: string, v: KeptTagValues): Record<string, string> {
  return {
    'bluegreen:service': service,
    'bluegreen:colour': colour,
    [QUARANTINE_TAGS.REASONS]: tagValue(v.reasons.join('; ')),
    [QUARANTINE_TAGS.SINCE]: v.since,
  };
}
