import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AMI_ID, IMAGE_TAG_KEY, ServiceDescriptor } from '../contract';
import { ColourName, DeployedImages, StagedImageVerdict } from '../release/ports';
import { AwsClients } from './clients';

/**
 * Whether a colour runs the image the release manifest stages for it, from the descriptor (what the last successful
 * deploy put on each colour: its fingerprint `image` and the AMI `imageId` its launch template resolved), SSM and EC2.
 *
 * - `ami-…`: equal to the AMI the colour runs. No call.
 * - `ssm:<name>`: the parameter's value now equals the AMI the colour runs (one GetParameter). A parameter that moved on
 *   after the deploy means the colour runs the old value.
 * - `baked:<name>`: the last deploy put `baked:<name>@<version>` on the colour, and no newer bake of that image exists
 *   with another version (two DescribeImages, EC2's client loaded only for this case): a newer bake than the one that
 *   runs means the deploy that baked it did not finish. The image's AMIs are found by the `bluegreen:image` tag of the
 *   AMI the colour runs, among the account's own AMIs (available or still being made).
 *
 * Known limit: a deploy refused before it baked (the release guard runs first) leaves no newer AMI behind, so a staged
 * `baked:<name>` whose new content never got baked reads as deployed when the colour already ran an older bake of the
 * same image. The release guard's refusal stops the pipeline in that case.
 */
export class AwsDeployedImages implements DeployedImages {
  /** Through the shared clients. */
  public static fromClients(descriptor: ServiceDescriptor, clients: AwsClients): AwsDeployedImages {
    return new AwsDeployedImages(descriptor, clients);
  }

  constructor(
    private readonly descriptor: ServiceDescriptor,
    private readonly clients: AwsClients,
  ) {}

  public async verify(colour: ColourName, staged: string): Promise<StagedImageVerdict> {
    const deployed = this.descriptor.colours[colour];
    const runs = deployed.imageId;
    const fix = `Run cdk deploy so that ${colour} runs it, then release again.`;
    const stages = `the release manifest stages ${staged} for ${colour}`;
    const no = (detail: string): StagedImageVerdict => ({ deployed: false, detail });
    const yes = (detail: string): StagedImageVerdict => ({ deployed: true, detail });
    if (typeof runs !== 'string' || !AMI_ID.test(runs)) {
      return no(`${stages}, but the descriptor records no AMI for ${colour} (${JSON.stringify(runs)}), so what it runs cannot be told. ${fix}`);
    }
    if (staged.startsWith('ami-')) {
      return staged === runs ? yes(`${colour} runs ${runs}, as staged`) : no(`${stages}, but ${colour} runs ${runs} (its last deploy): the stage was never deployed. ${fix}`);
    }
    if (staged.startsWith('ssm:')) return this.verifyParameter(colour, staged, runs, stages, fix);
    if (staged.startsWith('baked:')) return this.verifyBake(colour, staged.slice('baked:'.length), deployed.image, runs, stages, fix);
    return no(`${stages}, which is not an image reference this CLI knows (ami-…, ssm:<name>, baked:<name>); ${colour} runs ${runs}. Fix the manifest.`);
  }

  private async verifyParameter(colour: ColourName, staged: string, runs: string, stages: string, fix: string): Promise<StagedImageVerdict> {
    const name = staged.slice('ssm:'.length);
    let value: string | undefined;
    try {
      value = (await this.clients.get(SSMClient).send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (e) {
      if ((e as Error).name !== 'ParameterNotFound') throw e;
      return { deployed: false, detail: `${stages}, but the SSM parameter ${name} does not exist; ${colour} runs ${runs}. Fix the manifest (bluegreen stage).` };
    }
    if (value === runs) return { deployed: true, detail: `${colour} runs ${runs}, the value of ${name}` };
    return {
      deployed: false,
      detail: `${stages}, which holds ${JSON.stringify(value)} now, but ${colour} runs ${runs} (its last deploy read an older value): the new image was never deployed. ${fix}`,
    };
  }

  private async verifyBake(colour: ColourName, name: string, fingerprint: string, runs: string, stages: string, fix: string): Promise<StagedImageVerdict> {
    const deployedBake = /^baked:([^@]+)@(.+)$/.exec(fingerprint);
    if (!deployedBake || deployedBake[1] !== name) {
      return { deployed: false, detail: `${stages}, but ${colour}'s last deploy put ${fingerprint} (${runs}) on it: the stage was never deployed. ${fix}` };
    }
    const version = deployedBake[2];
    const { bakesOf } = await import('./private/bakes');
    const bakes = await bakesOf(runs, this.clients);
    if (!bakes) {
      return {
        deployed: false,
        detail:
          `${stages}; ${colour} runs ${fingerprint} as ${runs}, which carries no ${IMAGE_TAG_KEY} tag, so whether a newer bake of ${name} exists cannot be told. ` +
          `${fix} If ${runs} is what should be released, override the check (allowUndeployedImage).`,
      };
    }
    const newer = bakes.images.find((i) => i.created > bakes.runs.created && i.version !== version);
    if (newer) {
      return {
        deployed: false,
        detail:
          `${stages}, and a newer bake of ${name} exists (${newer.imageId}, version ${newer.version ?? 'unknown'}, made ${newer.created}) than the one ${colour} runs ` +
          `(${runs}, version ${version}): the deploy that baked it did not finish. ${fix}`,
      };
    }
    return { deployed: true, detail: `${colour} runs ${fingerprint} (${runs}), the newest bake of ${name}` };
  }
}
