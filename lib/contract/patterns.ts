/** `ami-` followed by 8 or 17 lower-case hex digits. */
export const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** An SSM parameter name (a path or a bare name). */
export const SSM_NAME = /^\/?[a-zA-Z0-9_.\-/]{1,1011}$/;

/** A commercial, GovCloud, China or ISO Region name such as `eu-central-1` or `us-gov-west-1`. */
export const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** Names Image Builder accepts in ARNs: lower-case letters, digits, hyphens. We also require a leading letter. */
export const IMAGE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** Component names within an image. */
export const COMPONENT_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** Service names: lower-case letters, digits and hyphens, starting with a letter, at most 32 characters. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** What a service name must look like, for error messages. */
export const SERVICE_NAME_RULE = 'must be lower-case letters, digits and hyphens, start with a letter, and be at most 32 characters';
