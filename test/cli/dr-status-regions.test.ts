/** `status` of a service with a standby Region: which version each Region serves, and a skew warning. */
import { describe, expect, it } from 'vitest';
import { buildView, renderStatus, withRegions } from '../../lib/cli/status-view';
import { engineFor, FakeWorld } from '../release/fakes';
import { descriptorOf, drSection, NEW, OLD, PRIMARY, STANDBY } from './dr-fakes';

async function primaryView() {
  const status = await engineFor(new FakeWorld().process('cli')).status();
  return buildView(status, descriptorOf(PRIMARY, drSection('primary')), undefined, null);
}

describe('status with a standby Region', () => {
  it('shows the version each Region serves, with no warning when they agree', async () => {
    // GIVEN both Regions serve OLD (blue live)
    const view = withRegions(await primaryView(), [
      { region: PRIMARY, role: 'primary', serving: OLD },
      { region: STANDBY, role: 'standby', serving: OLD },
    ]);

    // WHEN
    const lines = renderStatus(view);

    // THEN
    expect(lines).toContain(`  regions      ${PRIMARY} (primary) serves ${OLD}; ${STANDBY} (standby) serves ${OLD}`);
    expect(view.warnings).toEqual([]);
    expect(view.regions).toHaveLength(2);
  });

  it('warns of a version skew and says when the other Region could not be read', async () => {
    const skewed = withRegions(await primaryView(), [
      { region: PRIMARY, role: 'primary', serving: NEW },
      { region: STANDBY, role: 'standby', serving: OLD },
    ]);
    expect(renderStatus(skewed)).toContain(`warning: version skew: ${PRIMARY} serves ${NEW}, ${STANDBY} serves ${OLD}; release the standby with --region-only`);

    const unread = withRegions(await primaryView(), [
      { region: PRIMARY, role: 'primary', serving: OLD },
      { region: STANDBY, role: 'standby', serving: null, error: 'connect ETIMEDOUT' },
    ]);
    expect(renderStatus(unread)).toContain(`  regions      ${PRIMARY} (primary) serves ${OLD}; ${STANDBY} (standby) could not be read: connect ETIMEDOUT`);
    expect(unread.warnings).toEqual([]);
  });

  it('shows no regions line for a service without a standby', async () => {
    expect(renderStatus(await primaryView()).some((l) => l.includes('regions'))).toBe(false);
  });
});
