import { ColourName, manifestJson } from '../../contract';
import { describeProgress, formatWeights, liveColour, otherColour, UsageError, usageError } from '../../release';
import { awsPorts, awsRegion, imageExists, loadServiceDescriptor } from '../aws-access';
import { withRetryNotices } from '../retry-notices';
import type { Command, CommandContext, FlagValues } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { colourFlag, colourFlagValue, stringFlag } from '../flags';
import { checkImageReference, ImageReferenceKind } from '../image-reference';
import { readManifest, writeManifest } from '../manifest-file';
import { replaceEntry } from '../manifest-sync';
import { apiCallSummary } from '../output';

/** What `stage` was asked to do. */
export interface StageOptions {
  /** `--image`, checked as a synth would check it. */
  readonly image: string;
  readonly kind: ImageReferenceKind;
  /** `--colour`: must be idle. @default - the idle colour */
  readonly colour?: ColourName;
}

/**
 * `stage <service> --image <ref>`: write the image onto the idle colour in the manifest, with mode `ready` so the
 * next `cdk deploy` warms it. Changes nothing in AWS; reads the weights (which colour is live) and the release
 * record. Exit 2 for bad input (a malformed or unknown image, the live colour, a missing manifest), exit 3 (refused)
 * when the service's state forbids it now (a release in progress, split weights).
 */
export const stage: Command<StageOptions> = {
  name: 'stage',
  summary: "write an image onto the idle colour in the release manifest (mode ready), for the next 'cdk deploy'",
  flags: {
    image: { type: 'string', example: 'baked:web', help: 'image for the idle colour: ami-<hex>, ssm:<parameter name> or baked:<image name> (required)' },
    colour: colourFlag('colour to stage onto; must be idle (default: the idle colour)'),
  },
  parse(values: FlagValues): StageOptions {
    const colour = colourFlagValue(values);
    const image = stringFlag(values, 'image');
    if (image === undefined) throw new UsageError('stage needs --image <ami-...|ssm:<parameter>|baked:<image name>>, e.g. --image baked:web.');
    return { image, kind: checkImageReference(image, '--image'), colour };
  },
  run: (ctx, options) => withRetryNotices(ctx, () => runStage(ctx, options)),
};

async function runStage(ctx: CommandContext, { image, kind, colour }: StageOptions): Promise<number> {
  const { global, out, clients, manifest: location } = ctx;
  const loaded = readManifest(location, global.service);
  if (!loaded) {
    throw new UsageError(`--manifest: no release manifest at ${location.shown}; stage writes into it. Create it, or pass --manifest <path>.`);
  }
  const descriptor = await loadServiceDescriptor(ctx);
  const ports = await awsPorts(ctx, descriptor, { event: () => undefined });
  const [weights, record] = await Promise.all([ports.traffic.getWeights(), ports.state.read()]);
  const refuse = (message: string, next?: string[]) => out.result({ status: 'refused', exitCode: EXIT_CODES.refused, message, next, apiCalls: apiCallSummary(clients.counter) });

  const s = record?.state;
  if (s?.status === 'in-progress') {
    return refuse(
      `Not staged: release ${s.releaseId} is in progress (${s.candidate} at ${describeProgress(s)}); a deploy of a new stage now could change ` +
        `a colour that takes traffic. Wait for it to end, or abort it, then stage again. Nothing was written.`,
      [`bluegreen wait ${global.service}`, `bluegreen abort ${global.service}`],
    );
  }
  const live = liveColour(weights);
  if (!live) {
    return refuse(`Not staged: weights are split (${formatWeights(weights)}), so no colour is idle. Settle them with rollback, or promote --colour. Nothing was written.`, [
      `bluegreen rollback ${global.service}`,
      `bluegreen promote ${global.service} --colour <blue|green>`,
    ]);
  }
  const target = colour ?? otherColour(live);
  if (target === live) {
    throw usageError('--colour', `${live} is live (${formatWeights(weights)}); stage onto the idle colour ${otherColour(live)}. Nothing was written.`, target);
  }
  await checkImageExists(ctx, image, kind);

  const changes: string[] = [];
  const next = replaceEntry(loaded.manifest, target, { image, mode: 'ready' }, changes);
  const liveEntry = loaded.manifest[live];
  if (liveEntry.mode !== 'active') {
    out.warn(`${location.shown} puts the live colour ${live} in ${liveEntry.mode}; run 'bluegreen sync-manifest ${global.service}' before deploying.`);
  }
  if (s?.status === 'succeeded' && s.stable === target && s.scaleDownAt !== undefined) {
    out.warn(
      `${target} is the warm rollback target of release ${s.releaseId} until ${new Date(s.scaleDownAt).toISOString()}; ` +
        `deploying this stage replaces its instances, after which a rollback goes to ${image}.`,
    );
  }
  const fields = { colour: target, image, manifest: { path: location.shown, changes }, apiCalls: apiCallSummary(clients.counter) };
  if (changes.length === 0) {
    return out.result({ status: 'unchanged', exitCode: EXIT_CODES.done, message: `${image} is already staged on ${target} in ${location.shown}; nothing written.`, ...fields });
  }
  if (global.dryRun) {
    return out.result({ status: 'dry-run', exitCode: EXIT_CODES.done, dryRun: true, message: `Dry run: would write ${location.shown}: ${changes.join('; ')}.`, ...fields });
  }
  writeManifest(location, manifestJson(next));
  return out.result({
    status: 'staged',
    exitCode: EXIT_CODES.done,
    message: `Staged ${image} on ${target} in ${location.shown} (${changes.join('; ')}). Next: commit it, cdk deploy (warms ${target}; live traffic does not move), then bluegreen release ${global.service}.`,
    ...fields,
  });
}

/**
 * An AMI or SSM parameter that does not exist in the Region is bad input (exit 2): better now than after a long
 * deploy. A check that cannot run (permissions) only warns. Baked images exist only once a deploy bakes them.
 */
async function checkImageExists(ctx: CommandContext, image: string, kind: ImageReferenceKind): Promise<void> {
  if (kind === 'baked') return;
  let exists: boolean;
  try {
    exists = await imageExists(ctx, image);
  } catch (e) {
    ctx.out.warn(`could not check that ${image} exists (${(e as Error).message.split('\n')[0]}); staging it anyway`);
    return;
  }
  if (!exists) {
    const region = await awsRegion(ctx);
    throw usageError('--image', `${kind === 'ami' ? 'no such AMI' : 'no such SSM parameter'} in ${region}. Nothing was written.`, image);
  }
}
