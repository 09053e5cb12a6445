/**
 * Tags on the AMIs a BakedImage makes, shared by the construct, the CLI and the adapters.
 */

/** Names the BakedImage an AMI came from; the lifecycle policy selects AMIs by it. */
export const IMAGE_TAG_KEY = 'bluegreen:image';

/** Content version of the AMI's image. */
export const VERSION_TAG_KEY = 'bluegreen:version';

/** AMIs tagged with this key and `RETAIN_TAG_VALUE` are never deleted by the lifecycle policy. */
export const RETAIN_TAG_KEY = 'bluegreen:retain';

/** See `RETAIN_TAG_KEY`. */
export const RETAIN_TAG_VALUE = 'true';

/** The service whose colours run the AMI; the CLI sets it with `RETAIN_TAG_KEY` and removes both when unused. */
export const RETAINED_BY_TAG_KEY = 'bluegreen:retained-by';
