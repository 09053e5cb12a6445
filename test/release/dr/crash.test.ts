/**
 * A crash at every port call of a failover, a failback and a drill, with the call taking effect (`after`) or not
 * (`before`); then a new process runs `resume()` or `resume({ undo: true })`. After every port call of every
 * process the world checks that DNS never moved to a side with no healthy target and that the switch was only
 * ever set towards a side with healthy targets; at the end the pair is in a consistent phase.
 */
import { describe, expect, it } from 'vitest';
import { DrEngine } from '../../../lib/release';
import { FakeProcess, FakeWorld } from './fakes';

type Scenario = {
  readonly name: string;
  readonly setup: (world: FakeWorld) => Promise<void>;
  readonly run: (engine: DrEngine) => Promise<unknown>;
  /** Phase after resume() and after resume({ undo: true }) when the crashed process left an operation. */
  readonly resumed: string;
  readonly undone: string;
};

const failedOver = async (world: FakeWorld) => {
  const outcome = await world.engine(world.process('setup')).failover({ trigger: 'cli', outage: false });
  expect(outcome.result).toBe('done');
};

const SCENARIOS: Scenario[] = [
  { name: 'failover', setup: async () => undefined, run: (e) => e.failover({ trigger: 'cli', outage: false }), resumed: 'failed-over', undone: 'normal' },
  { name: 'failback', setup: failedOver, run: (e) => e.failback({}), resumed: 'normal', undone: 'failed-over' },
  { name: 'drill', setup: async () => undefined, run: (e) => e.drill({ holdMs: 20_000, verifyEveryMs: 10_000 }), resumed: 'normal', undone: 'normal' },
];

/** The pair is consistent with its recorded phase. */
function expectConsistent(world: FakeWorld, phase: string): void {
  const record = world.record();
  expect(record?.operation).toBeUndefined();
  expect(record?.phase ?? 'normal').toBe(phase);
  if (phase === 'normal') {
    expect(world.answer()).toBe('primary');
    expect(world.switchValue).not.toBe(true);
    expect(world.standby.colours.blue.desired).toBe(0);
  } else {
    expect(world.answer()).toBe('standby');
    expect(world.switchValue).toBe(true);
    expect(world.standby.colours.blue.desired).toBe(4);
  }
  expect(world.primary.copy?.record).toEqual(world.standby.copy?.record);
}

async function callsOf(scenario: Scenario): Promise<number> {
  const world = new FakeWorld();
  await scenario.setup(world);
  const proc = world.process('clean');
  await scenario.run(world.engine(proc));
  expect(world.violations).toEqual([]);
  return proc.calls;
}

async function crashed(scenario: Scenario, at: number, when: 'before' | 'after'): Promise<{ world: FakeWorld; proc: FakeProcess }> {
  const world = new FakeWorld();
  await scenario.setup(world);
  const proc = world.process('crashing', { at, when });
  await scenario.run(world.engine(proc));
  return { world, proc };
}

describe('a crash at every step', () => {
  for (const scenario of SCENARIOS) {
    for (const undo of [false, true]) {
      it(`${scenario.name}: every crash point is ${undo ? 'undone' : 'finished'} by resume${undo ? ' --undo' : ''}, the invariants holding throughout`, async () => {
        const total = await callsOf(scenario);
        expect(total).toBeGreaterThan(20);
        let withOperation = 0;
        for (let at = 1; at <= total; at++) {
          for (const when of ['before', 'after'] as const) {
            const label = `${scenario.name} crash ${when} call ${at}/${total}`;
            // GIVEN a process that died on call `at`
            const { world, proc } = await crashed(scenario, at, when);
            expect(proc.dead, label).toBe(true);
            const left = world.record();
            // WHEN another process resumes
            const outcome = await world.engine(world.process('resumer')).resume({ undo, takeOver: true });
            // THEN
            expect(world.violations, label).toEqual([]);
            if (left?.operation) {
              withOperation++;
              const expected = !undo ? ['done'] : scenario.name === 'drill' ? ['done', 'undone'] : ['undone'];
              expect(expected, `${label}: ${outcome.result}: ${outcome.message}`).toContain(outcome.result);
              expectConsistent(world, undo ? scenario.undone : scenario.resumed);
            } else {
              expect(outcome.message, label).toContain('nothing to resume');
              expectConsistent(world, left?.phase ?? 'normal');
            }
          }
        }
        expect(withOperation).toBeGreaterThan(total);
      });
    }
  }
});
