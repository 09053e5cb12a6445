import { describe, expect, it } from 'vitest';
import { ManifestDocument, manifestJson, parseManifestDocument, ServiceDescriptor } from '../../lib/contract';
import { checkImageReference, namesDeployedImage } from '../../lib/cli/image-reference';
import { layoutAfter, syncManifest } from '../../lib/cli/manifest-sync';
import { ReleaseOutcome, ReleaseState } from '../../lib/release';

const BLUE_AMI = 'ami-0123456789abcdef0';
const GREEN_AMI = 'ami-0fedcba9876543210';

function manifest(blue: [string, string], green: [string, string]): ManifestDocument {
  return parseManifestDocument({ schemaVersion: 1, service: 'web', blue: { image: blue[0], mode: blue[1] }, green: { image: green[0], mode: green[1] } }, 'release manifest');
}

function descriptor(blueImageId = BLUE_AMI, greenImageId = GREEN_AMI): ServiceDescriptor {
  const colour = (imageId: string) => ({ image: 'baked:web@abc123', imageId, mode: 'ready' });
  return { colours: { blue: colour(blueImageId), green: colour(greenImageId) } } as unknown as ServiceDescriptor;
}

const record: ReleaseState = {
  releaseId: 'r1',
  service: 'web',
  status: 'succeeded',
  stable: 'blue',
  candidate: 'green',
  steps: [100],
  bakeMs: 0,
  stepIndex: 0,
  owner: 'me',
  startedAt: 0,
  updatedAt: 0,
};

/** An outcome whose record is `record` patched with `state`; null for no record. */
function outcome(status: ReleaseOutcome['status'], state: Partial<ReleaseState> | null = {}): ReleaseOutcome {
  return { status, exitCode: 0, message: '', state: state ? { ...record, ...state } : undefined };
}

describe('layoutAfter', () => {
  it.each([
    ['a promoted release', outcome('succeeded'), { live: 'green', idleMode: 'ready' }],
    ['a rollback', outcome('rolled-back', { status: 'rolled-back' }), { live: 'blue', idleMode: 'unchanged' }],
    ['an abort', outcome('aborted', { status: 'aborted' }), { live: 'blue', idleMode: 'unchanged' }],
    ['a scale-down after promotion', outcome('scaled-down'), { live: 'green', idleMode: 'standby' }],
    ['a scale-down after a rollback', outcome('scaled-down', { status: 'rolled-back' }), { live: 'blue', idleMode: 'standby' }],
    ['a process preempted by an auto-rollback', outcome('preempted', { status: 'rolled-back', owner: 'auto-rollback' }), { live: 'blue', idleMode: 'unchanged' }],
    ['a process preempted by a promotion', outcome('preempted'), { live: 'green', idleMode: 'ready' }],
  ])('records %s', (_, o, layout) => {
    expect(layoutAfter(o)).toEqual(layout);
  });

  it.each([
    ['a refusal', outcome('refused')],
    ['a noop', outcome('noop')],
    ['a scale-down not due', outcome('not-due')],
    ['a failed rollback', outcome('failed')],
    ['a process preempted by a release still in progress', outcome('preempted', { status: 'in-progress' })],
    ['an outcome with no record', outcome('succeeded', null)],
  ])('records nothing for %s', (_, o) => {
    expect(layoutAfter(o)).toBeUndefined();
  });
});

describe('syncManifest', () => {
  it('makes the live colour active and pins its baked: entry to the AMI it runs; the idle colour keeps its image', () => {
    // GIVEN green released while the manifest followed the bake
    const m = manifest(['baked:web', 'active'], ['baked:web', 'ready']);
    // WHEN
    const r = syncManifest(m, descriptor(), { live: 'green', idleMode: 'ready' });
    // THEN
    expect(JSON.parse(manifestJson(r.manifest))).toEqual({
      schemaVersion: 1,
      service: 'web',
      blue: { image: 'baked:web', mode: 'ready' },
      green: { image: GREEN_AMI, mode: 'active' },
    });
    expect(r.changes).toEqual([`green: image baked:web -> ${GREEN_AMI}`, 'green: mode ready -> active', 'blue: mode active -> ready']);
    expect(r.warnings).toEqual([]);
  });

  it('pins an ssm: entry too', () => {
    const r = syncManifest(manifest([BLUE_AMI, 'active'], ['ssm:/images/web', 'ready']), descriptor(), { live: 'green', idleMode: 'ready' });
    expect(r.manifest.green.image).toBe(GREEN_AMI);
  });

  it('changes nothing when the manifest is already in step', () => {
    const r = syncManifest(manifest([BLUE_AMI, 'active'], ['baked:web', 'ready']), descriptor(), { live: 'blue', idleMode: 'ready' });
    expect(r.changes).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('puts the idle colour in standby after a scale-down', () => {
    const r = syncManifest(manifest([BLUE_AMI, 'ready'], [GREEN_AMI, 'active']), descriptor(), { live: 'green', idleMode: 'standby' });
    expect(r.changes).toEqual(['blue: mode ready -> standby']);
  });

  it('replaces an ami- entry the live colour does not run (a stage never deployed), with a warning', () => {
    const r = syncManifest(manifest([BLUE_AMI, 'active'], ['ami-0aaaaaaaaaaaaaaaa', 'ready']), descriptor(), { live: 'green', idleMode: 'ready' });
    expect(r.manifest.green.image).toBe(GREEN_AMI);
    expect(r.warnings).toEqual([`the manifest said ami-0aaaaaaaaaaaaaaaa for green, but green runs ${GREEN_AMI} (the stage was not deployed); pinned to ${GREEN_AMI}`]);
  });

  it('leaves the image and warns when the descriptor records no AMI id', () => {
    const r = syncManifest(manifest([BLUE_AMI, 'active'], ['baked:web', 'ready']), descriptor(BLUE_AMI, ''), { live: 'green', idleMode: 'ready' });
    expect(r.manifest.green.image).toBe('baked:web');
    expect(r.changes).toEqual(['green: mode ready -> active', 'blue: mode active -> ready']);
    expect(r.warnings[0]).toMatch(/^green is live but the descriptor records no AMI id for it/);
  });
});

describe('image references', () => {
  it.each([
    ['ami-12345678', 'ami'],
    [BLUE_AMI, 'ami'],
    ['ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64', 'ssm'],
    ['baked:web', 'baked'],
  ])('accepts %s', (ref, kind) => {
    expect(checkImageReference(ref)).toBe(kind);
  });

  it.each([['ami-123'], ['ami-0123456789ABCDEF0'], ['ssm:has space'], ['baked:'], ['baked:1web'], ['web:latest'], ['']])('refuses %j, naming the flag', (ref) => {
    expect(() => checkImageReference(ref, '--image')).toThrow(/^--image: .* Got /);
  });

  it('tells a deployed image from a staged one', () => {
    const deployed = { image: 'baked:web@abc123', imageId: BLUE_AMI };
    expect(namesDeployedImage('baked:web', deployed)).toBe(true);
    expect(namesDeployedImage(BLUE_AMI, deployed)).toBe(true);
    expect(namesDeployedImage('baked:api', deployed)).toBe(false);
    expect(namesDeployedImage(GREEN_AMI, deployed)).toBe(false);
    expect(namesDeployedImage('ssm:/x', { image: 'ssm:/x', imageId: BLUE_AMI })).toBe(true);
  });
});
