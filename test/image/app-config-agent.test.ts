import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ImageArchitecture, ImageComponent, ParentImage } from '../../constructs';
import { buildImage, parseYaml, webComponent } from './fixtures';

interface Step {
  name: string;
  action: string;
  inputs: { commands?: string[] } & Array<{ path: string; content: string; permissions: string }>;
}
interface Doc {
  name: string;
  phases: Array<{ name: string; steps: Step[] }>;
}

const X86_RPM = 'https://s3.amazonaws.com/aws-appconfig-downloads/aws-appconfig-agent/linux/x86_64/latest/aws-appconfig-agent.rpm';
const ARM_RPM = 'https://s3.amazonaws.com/aws-appconfig-downloads/aws-appconfig-agent/linux/arm64/latest/aws-appconfig-agent.rpm';
const FLAGS = { application: 'bluegreen-web', environment: 'live', configurationProfile: 'feature-flags' };

function documentOf(component: ImageComponent): Doc {
  expect(component.documents).toHaveLength(1);
  return parseYaml(component.documents[0].data) as Doc;
}

function commands(doc: Doc, phase: string, step: string): string[] {
  return doc.phases.find((p) => p.name === phase)!.steps.find((s) => s.name === step)!.inputs.commands!;
}

describe('ImageComponent.appConfigAgent', () => {
  it('installs the RPM of the build instance architecture, enables the unit without starting it, and validates both', () => {
    // GIVEN / WHEN
    const component = ImageComponent.appConfigAgent();
    const doc = documentOf(component);
    // THEN one build-stage document with build then validate
    expect([component.name, component.documents[0].testStage]).toEqual(['appconfig-agent', false]);
    expect(doc.phases.map((p) => p.name)).toEqual(['build', 'validate']);
    // and the install maps uname -m to AWS's folder for each architecture, failing on any other
    const install = commands(doc, 'build', 'InstallAgent').join('\n');
    expect(install).toContain(`x86_64) RPM='${X86_RPM}'`);
    expect(install).toContain(`aarch64) RPM='${ARM_RPM}'`);
    expect(install).toMatch(/\*\) echo "AppConfig Agent: no RPM for architecture .*exit 1 ;; esac/);
    expect(install).toContain('dnf install -y "$RPM"');
    // and systemd starts it at boot; the build instance does not run it
    const enable = commands(doc, 'build', 'EnableAgent');
    expect(enable).toContain('systemctl enable aws-appconfig-agent');
    expect(enable.join('\n')).not.toMatch(/systemctl (start|enable --now)/);
    expect(commands(doc, 'validate', 'ValidateAgent')).toEqual(['set -eo pipefail', 'rpm -q aws-appconfig-agent', 'systemctl is-enabled aws-appconfig-agent']);
    // and with every setting at its default, no settings file is written
    expect(doc.phases[0].steps.map((s) => s.action)).toEqual(['ExecuteBash', 'ExecuteBash']);
  });

  it('names the RPM URL of each architecture', () => {
    // GIVEN / WHEN / THEN
    expect(ImageComponent.appConfigAgentRpmUrl(ImageArchitecture.X86_64)).toBe(X86_RPM);
    expect(ImageComponent.appConfigAgentRpmUrl(ImageArchitecture.ARM_64)).toBe(ARM_RPM);
  });

  it('writes the given settings to /etc/sysconfig/aws-appconfig-agent after the install, and validates each line', () => {
    // GIVEN / WHEN
    const doc = documentOf(
      ImageComponent.appConfigAgent({
        pollInterval: Duration.minutes(1),
        port: 2773,
        prefetch: [FLAGS, { application: 'app2', environment: 'env2', configurationProfile: 'profile2' }],
      }),
    );
    // THEN the file comes after the install (so an RPM's own copy cannot replace it) and before enabling
    const build = doc.phases[0].steps;
    expect(build.map((s) => s.name)).toEqual(['InstallAgent', 'CreateFolders', 'CreateFiles', 'EnableAgent']);
    const settings = 'POLL_INTERVAL=60\nHTTP_PORT=2773\nPREFETCH_LIST=bluegreen-web:live:feature-flags,app2:env2:profile2\n';
    expect(build[2].inputs).toEqual([expect.objectContaining({ path: '/etc/sysconfig/aws-appconfig-agent', content: settings, permissions: '0644', overwrite: true })]);
    expect(commands(doc, 'validate', 'ValidateAgent')).toEqual(
      expect.arrayContaining([
        "grep -qxF 'POLL_INTERVAL=60' /etc/sysconfig/aws-appconfig-agent",
        "grep -qxF 'HTTP_PORT=2773' /etc/sysconfig/aws-appconfig-agent",
        "grep -qxF 'PREFETCH_LIST=bluegreen-web:live:feature-flags,app2:env2:profile2' /etc/sysconfig/aws-appconfig-agent",
      ]),
    );
  });

  it('writes only the settings given', () => {
    // GIVEN / WHEN
    const doc = documentOf(ImageComponent.appConfigAgent({ prefetch: [FLAGS] }));
    // THEN
    const file = doc.phases[0].steps.find((s) => s.action === 'CreateFile')!.inputs[0];
    expect(file.content).toBe('PREFETCH_LIST=bluegreen-web:live:feature-flags\n');
  });

  it('changes the image version when a setting changes, as it is part of the content', () => {
    // GIVEN
    const bake = (seconds: number) =>
      buildImage({ components: [ImageComponent.appConfigAgent({ pollInterval: Duration.seconds(seconds) }), webComponent()] }).image.version;
    // WHEN / THEN
    expect(bake(30)).toBe(bake(30));
    expect(bake(30)).not.toBe(bake(60));
  });

  it('becomes an Image Builder component of the recipe, on an arm64 image too', () => {
    // GIVEN
    const { template, image, stack } = buildImage({
      parentImage: ParentImage.amazonLinux2023(ImageArchitecture.ARM_64),
      components: [ImageComponent.appConfigAgent(), webComponent()],
    });
    // WHEN
    const t: Template = template();
    // THEN
    t.hasResourceProperties('AWS::ImageBuilder::Component', {
      Name: Match.stringLikeRegexp('appconfig-agent$'),
      Platform: 'Linux',
      Data: Match.stringLikeRegexp('aws-appconfig-agent/linux/arm64/latest/aws-appconfig-agent\\.rpm'),
    });
    const agent = image.components.find((c) => String(c.name).endsWith('appconfig-agent'))!;
    t.hasResourceProperties('AWS::ImageBuilder::ImageRecipe', {
      Components: Match.arrayWith([{ ComponentArn: { 'Fn::GetAtt': [stack.getLogicalId(agent), 'Arn'] } }]),
    });
  });

  it('rejects settings out of range or malformed, naming the prop, the value and the fix', () => {
    // GIVEN / WHEN / THEN
    const agent = ImageComponent.appConfigAgent;
    expect(() => agent({ pollInterval: Duration.seconds(10) })).toThrow(
      /appConfigAgent pollInterval: must be whole seconds from 15 seconds .* to 24 hours, e.g. Duration.seconds\(30\). Got "10 seconds"./,
    );
    expect(() => agent({ pollInterval: Duration.hours(25) })).toThrow(/appConfigAgent pollInterval: .*Got "90000 seconds"/);
    expect(() => agent({ pollInterval: Duration.millis(15500) })).toThrow(/appConfigAgent pollInterval: must be whole seconds.*Got "15.5 seconds"/);
    expect(() => agent({ port: 0 })).toThrow(/appConfigAgent port: must be a whole number from 1 to 65535; .*default 2772. Got 0./);
    expect(() => agent({ port: 80.5 })).toThrow(/appConfigAgent port: .*Got 80.5/);
    expect(() => agent({ prefetch: [{ ...FLAGS, environment: 'live:x' }] })).toThrow(/appConfigAgent prefetch\[0\]\.environment: .*colons .*Got "live:x"/);
    expect(() => agent({ prefetch: [FLAGS, { ...FLAGS, application: 'a b' }] })).toThrow(/appConfigAgent prefetch\[1\]\.application: .*Got "a b"/);
    expect(() => agent({ prefetch: [{ ...FLAGS, configurationProfile: '' }] })).toThrow(/appConfigAgent prefetch\[0\]\.configurationProfile: /);
  });

  it('rejects tokens, since settings are hashed into the image version at synth', () => {
    // GIVEN
    const token = Lazy.string({ produce: () => 'bluegreen-web' });
    // WHEN / THEN
    expect(() => ImageComponent.appConfigAgent({ port: Token.asNumber({ Ref: 'Port' }) })).toThrow(/appConfigAgent port: must be known at synth/);
    expect(() => ImageComponent.appConfigAgent({ pollInterval: Duration.seconds(Token.asNumber({ Ref: 'Poll' })) })).toThrow(/appConfigAgent pollInterval: must be known at synth/);
    expect(() => ImageComponent.appConfigAgent({ prefetch: [{ ...FLAGS, application: token }] })).toThrow(/appConfigAgent prefetch\[0\]\.application: must be known at synth/);
  });
});
