import { describe, expect, it } from 'vitest';
import { freshApp, ofType, primary, standby } from './fixtures';

describe('no cross-Region references', () => {
  it('keeps each Region\'s template free of imports, cross-Region exports and custom resources reading the peer', () => {
    // GIVEN both halves in one app
    const app = freshApp();
    const p = primary({}, {}, app);
    const s = standby(undefined, {}, {}, app);
    for (const built of [p, s]) {
      // WHEN
      const template = built.template();
      const json = JSON.stringify(template.toJSON());
      // THEN
      expect(json).not.toContain('Fn::ImportValue');
      expect(json).not.toContain('ExportsReader');
      expect(json).not.toContain('ExportsWriter');
      expect(json).not.toContain('CrossRegion');
      const customTypes = Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type).filter((t) => t.startsWith('Custom::'));
      expect(customTypes).toEqual(['Custom::BlueGreenReleaseGuard']);
      expect(built.stack.dependencies).toEqual([]);
      expect(Object.keys(template.toJSON().Outputs).filter((k) => (template.toJSON().Outputs[k] as { Export?: unknown }).Export)).toEqual([]);
    }
  });

  it('names the standby\'s switch alarm in the primary by name and Region only', () => {
    const app = freshApp();
    const p = primary({}, {}, app);
    standby(undefined, {}, {}, app);
    const switchChecks = Object.values(ofType(p.template(), 'AWS::Route53::HealthCheck')).filter((c) => JSON.stringify(c).includes('dr-switch'));
    expect(switchChecks.map((c) => c.Properties.HealthCheckConfig)).toEqual([
      { Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: 'bluegreen-web-dr-switch', Region: 'eu-central-1' }, InsufficientDataHealthStatus: 'LastKnownStatus', Inverted: false },
    ]);
  });
});
