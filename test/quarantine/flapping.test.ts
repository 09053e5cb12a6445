import { describe, expect, it } from 'vitest';
import { addMark, recentReplacements, ReplacementMark, trimMarks } from '../../lib/release/quarantine';
import { T0 } from './fakes';

const at = (secondsBeforeT0: number) => new Date(T0 - secondsBeforeT0 * 1000).toISOString();
const MARKS: ReplacementMark[] = [
  { colour: 'blue', instanceId: 'i-1', at: at(60) },
  { colour: 'blue', instanceId: 'i-2', at: at(900) },
  { colour: 'blue', instanceId: 'i-3', at: at(901) },
  { colour: 'green', instanceId: 'i-4', at: at(10) },
];

describe('flapping', () => {
  it('GIVEN marks in and out of a 15-minute window WHEN counted THEN only those within count, per colour', () => {
    // GIVEN / WHEN
    const counts = recentReplacements(MARKS, T0, 900);
    // THEN i-3 is 901 s old: out; i-2 is exactly 900 s old: in
    expect(counts).toEqual({ blue: 2, green: 1 });
  });

  it('GIVEN no marks WHEN counted THEN both colours are zero', () => {
    expect(recentReplacements([], T0, 900)).toEqual({ blue: 0, green: 0 });
  });

  it('GIVEN old marks WHEN trimmed THEN they are gone and the others kept in order', () => {
    expect(trimMarks(MARKS, T0, 900).map((m) => m.instanceId)).toEqual(['i-1', 'i-2', 'i-4']);
  });

  it('GIVEN an instance already marked WHEN marked again THEN it is one replacement, not two', () => {
    const again = addMark(MARKS, { colour: 'blue', instanceId: 'i-1', at: at(0) });
    expect(again).toHaveLength(MARKS.length);
    expect(addMark(MARKS, { colour: 'blue', instanceId: 'i-9', at: at(0) })).toHaveLength(MARKS.length + 1);
  });
});
