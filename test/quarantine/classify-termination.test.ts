import { describe, expect, it } from 'vitest';
import { classifyTermination } from '../../lib/release/quarantine';
import { CAUSES } from './fakes';

describe('classifyTermination', () => {
  it.each([
    ['an ELB health check failure', CAUSES.elb, 'elb'],
    ['an EC2 instance status check failure', CAUSES.ec2, 'ec2'],
    ['an EC2 instance status checks failure (plural)', CAUSES.ec2Plural, 'ec2'],
    ['a custom SetInstanceHealth (user health-check)', CAUSES.custom, 'custom'],
  ])('GIVEN %s WHEN classified THEN it is health-driven with that check and keeps the text', (_name, cause, check) => {
    expect(classifyTermination(cause)).toEqual({ healthDriven: true, check, cause });
  });

  it.each([
    ['an EC2 health check saying the instance was terminated or stopped', CAUSES.stopped, /stopped or terminated outside the group: nothing running to keep/],
    ['scale-in', CAUSES.scaleIn, /scale-in/],
    ['a colour going to standby (constraints set to 0)', CAUSES.standby, /size was changed/],
    ['an instance refresh (a launch-template roll)', CAUSES.refresh, /instance refresh/],
    ['a user request (terminate or detach)', CAUSES.userRequest, /user request/],
    ['a CloudFormation rolling update replacing an instance', CAUSES.rollingUpdate, /rolling update/],
    ['a CloudFormation rolling update shrinking the group', CAUSES.rollingUpdateShrink, /rolling update/],
    ['maximum instance lifetime', 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to a maximum instance lifetime.', /lifetime/],
    ['AZ rebalancing', 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to an Availability Zone rebalancing.', /rebalancing/],
  ])('GIVEN %s WHEN classified THEN it is not health-driven and says why', (_name, cause, reason) => {
    const c = classifyTermination(cause);
    expect(c.healthDriven).toBe(false);
    expect(c).toMatchObject({ reason: expect.stringMatching(reason), cause });
  });

  it.each([
    ['no cause', undefined, /no cause/],
    ['an empty cause', '   ', /no cause/],
    ['a wording this code does not know', 'At 2024-05-14T20:11:53Z an instance was taken out of service for reasons unknown.', /not a health check this code recognises/],
  ])('GIVEN %s WHEN classified THEN it is not health-driven (default-deny)', (_name, cause, reason) => {
    expect(classifyTermination(cause)).toMatchObject({ healthDriven: false, reason: expect.stringMatching(reason) });
  });

  it('GIVEN a text naming both a health check and scale-in WHEN classified THEN it continues (ambiguity is denied)', () => {
    const cause = `${CAUSES.elb} Also in response to a difference between desired and actual capacity.`;
    expect(classifyTermination(cause).healthDriven).toBe(false);
  });

  it('GIVEN a health cause in other letter case WHEN classified THEN it is still recognised', () => {
    expect(classifyTermination(CAUSES.elb.toLowerCase())).toMatchObject({ healthDriven: true, check: 'elb' });
  });
});
