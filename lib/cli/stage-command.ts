import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { CapacityMode } from '../../constructs/fleet/capacity-mode';
import { Colour } from '../../constructs/fleet/colour';
import { AwsClients, clientRegion, DynamoReleaseStateStore, ElbTrafficRouter, loadDescriptor } from '../aws';
import { describeProgress, formatWeights, liveColour, otherColour, usageError, UsageError } from '../release';
import { CommandContext } from './context';
import { checkImageReference } from './image-reference';
import { readManifest, writeManifest } from './manifest-file';
import { apiCallSummary } from './output';

/**
 * `stage <service> --image <ref>`: write the image onto the idle colour in the manifest, with mode `ready` so the
 * next `cdk deploy` warms it. Changes nothing in AWS; reads the weights (which colour is live) and the release
 * record. Exit 2 for bad input (a malformed or unknown image, the live colour, a missing manifest), exit 1 when the
 * service's state forbids it now (a release in progress, split weights).
 */
export async function runStage(ctx: CommandContext): Promise<number> {
  const { cmd, out, clients, manifest: location } = ctx;
  const image = cmd.image!;
  const kind = checkImageReference(image, '--image');
  const loaded = readManifest(location, cmd.service);
  if (!loaded) {
    throw new UsageError(`--manifest: no release manifest at ${location.shown}; stage writes into it. Create it, or pass --manifest <path>.`);
  }
  const descriptor = await loadDescriptor(cmd.service, clients);
  const [weights, record] = await Promise.all([
    new ElbTrafficRouter(descriptor, clients.elbv2).getWeights(),
    new DynamoReleaseStateStore(clients.dynamodb, descriptor.releaseStateTable, descriptor.service).read(),
  ]);
  const refuse = (message: string) =>
    out.result({ status: 'refused', exitCode: 1, message, apiCalls: apiCallSummary(clients.counter) });

  const s = record?.state;
  if (s?.status === 'in-progress') {
    return refuse(
      `Not staged: release ${s.releaseId} is in progress (${s.candidate} at ${describeProgress(s)}); a deploy of a new stage now could change ` +
        `a colour that takes traffic. Wait for it to end, or abort it, then stage again. Nothing was written.`,
    );
  }
  const live = liveColour(weights);
  if (!live) {
    return refuse(`Not staged: weights are split (${formatWeights(weights)}), so no colour is idle. Settle them with rollback, or promote --colour. Nothing was written.`);
  }
  const target = cmd.colour ?? otherColour(live);
  if (target === live) {
    throw usageError('--colour', `${live} is live (${formatWeights(weights)}); stage onto the idle colour ${otherColour(live)}. Nothing was written.`, target);
  }
  await checkImageExists(ctx, clients, image, kind);

  const colour = Colour.fromName(target);
  const before = loaded.manifest.colour(colour);
  const next = loaded.manifest.withColour(colour, { image, mode: CapacityMode.READY });
  const liveEntry = loaded.manifest.colour(Colour.fromName(live));
  if (liveEntry.mode !== CapacityMode.ACTIVE) {
    out.warn(`${location.shown} puts the live colour ${live} in ${liveEntry.mode.name}; run 'bluegreen sync-manifest ${cmd.service}' before deploying.`);
  }
  if (s?.status === 'succeeded' && s.stable === target && s.scaleDownAt !== undefined) {
    out.warn(
      `${target} is the warm rollback target of release ${s.releaseId} until ${new Date(s.scaleDownAt).toISOString()}; ` +
        `deploying this stage replaces its instances, after which a rollback goes to ${image}.`,
    );
  }
  const changes = [
    ...(before.image !== image ? [`${target}: image ${before.image} -> ${image}`] : []),
    ...(before.mode !== CapacityMode.READY ? [`${target}: mode ${before.mode.name} -> ready`] : []),
  ];
  const fields = { colour: target, image, manifest: { path: location.shown, changes }, apiCalls: apiCallSummary(clients.counter) };
  if (changes.length === 0) {
    return out.result({ status: 'unchanged', exitCode: 0, message: `${image} is already staged on ${target} in ${location.shown}; nothing written.`, ...fields });
  }
  if (cmd.dryRun) {
    return out.result({ status: 'dry-run', exitCode: 0, dryRun: true, message: `Dry run: would write ${location.shown}: ${changes.join('; ')}.`, ...fields });
  }
  writeManifest(location, next.toJson());
  return out.result({
    status: 'staged',
    exitCode: 0,
    message: `Staged ${image} on ${target} in ${location.shown} (${changes.join('; ')}). Next: commit it, cdk deploy (warms ${target}; live traffic does not move), then bluegreen release ${cmd.service}.`,
    ...fields,
  });
}

/**
 * An AMI or SSM parameter that does not exist in the Region is bad input (exit 2): better now than after a long
 * deploy. A check that cannot run (permissions) only warns. Baked images exist only once a deploy bakes them.
 */
async function checkImageExists(ctx: CommandContext, clients: AwsClients, image: string, kind: string): Promise<void> {
  const region = await clientRegion(clients);
  const notFound = () =>
    usageError('--image', `${kind === 'ami' ? 'no such AMI' : 'no such SSM parameter'} in ${region}. Nothing was written.`, image);
  try {
    if (kind === 'ami') {
      const out = await clients.ec2.send(new DescribeImagesCommand({ ImageIds: [image] }));
      if ((out.Images ?? []).length === 0) throw notFound();
    } else if (kind === 'ssm') {
      await clients.ssm.send(new GetParameterCommand({ Name: image.slice('ssm:'.length) }));
    }
  } catch (e) {
    const name = (e as Error).name;
    if (e instanceof UsageError) throw e;
    if (name === 'InvalidAMIID.NotFound' || name === 'InvalidAMIID.Malformed' || name === 'ParameterNotFound') throw notFound();
    ctx.out.warn(`could not check that ${image} exists (${(e as Error).message.split('\n')[0]}); staging it anyway`);
  }
}
