import { ColourName } from '../../../contract';
import { drCommands } from '../messages';
import { DrContext } from './context';
import { liveColourIn, healthyIn } from './serving';
import { StepFailed } from './step-failed';
import { errorText } from './bounded';

/**
 * Set the switch to the standby, only when the standby's colour has a healthy target (so DNS never moves to a
 * side that cannot serve), and wait for the switch alarm to read ALARM.
 *
 * @returns false when the alarm did not turn within the DNS timeout
 */
export async function switchToStandby(ctx: DrContext, colour: ColourName): Promise<boolean> {
  const healthy = await healthyIn(ctx.standby, colour);
  if (healthy < 1) {
    throw new StepFailed(`the standby's ${colour} colour in ${ctx.standby.region} has no healthy target: DNS was not moved. Run ${drCommands.resume(ctx.service)} to wait for it again, or ${drCommands.undo(ctx.service)} to go back`);
  }
  await ctx.ports.dnsSwitch.set(true);
  return (await ctx.waitFor('the switch alarm to read ALARM', ctx.settings.dnsTimeoutMs, async () => {
    const state = await ctx.ports.dnsSwitch.state();
    return { done: state === 'ALARM', seen: `switch ${state}` };
  })) === 'done';
}

/**
 * Set the switch back to the primary, only when the primary's live colour has a healthy target, and wait for the
 * switch alarm to leave ALARM.
 *
 * @returns false when the alarm did not turn within the DNS timeout
 */
export async function switchToPrimary(ctx: DrContext, keepsWhat: string): Promise<boolean> {
  let healthy: number;
  try {
    healthy = await healthyIn(ctx.primary, await liveColourIn(ctx.primary));
  } catch (err) {
    throw new StepFailed(`the primary (${ctx.primary.region}) cannot be read (${errorText(err)}): DNS stays on the standby and ${keepsWhat}`);
  }
  if (healthy < 1) {
    throw new StepFailed(`the primary (${ctx.primary.region}) has no healthy target: moving DNS back would send clients to it, so DNS stays on the standby and ${keepsWhat}`);
  }
  await ctx.ports.dnsSwitch.set(false);
  return (await ctx.waitFor('the switch alarm to leave ALARM', ctx.settings.dnsTimeoutMs, async () => {
    const state = await ctx.ports.dnsSwitch.state();
    return { done: state !== 'ALARM', seen: `switch ${state}` };
  })) === 'done';
}

/** Wait until Route 53 answers `side`. */
export async function waitForAnswer(ctx: DrContext, side: 'primary' | 'standby'): Promise<boolean> {
  return (await ctx.waitFor(`Route 53 to answer the ${side}`, ctx.settings.dnsTimeoutMs, async () => {
    const answer = await ctx.ports.dns.answering();
    return { done: answer === side, seen: `Route 53 answers ${answer}` };
  })) === 'done';
}

/** Wait for a successful request through the failover record served by `side`. */
export async function waitForSuccessThrough(ctx: DrContext, side: 'primary' | 'standby'): Promise<boolean> {
  return (await ctx.waitFor(`a successful request through the record served by the ${side}`, ctx.settings.dnsTimeoutMs, async () => {
    const probe = await ctx.ports.probe.record();
    const seen = probe.ok ? `served by ${probe.servedBy}` : `failed (${probe.error ?? probe.status ?? 'no answer'})`;
    return { done: probe.ok && probe.servedBy === side, seen: `request ${seen} in ${probe.ms} ms` };
  })) === 'done';
}

/** Ask for at least `target` instances of the standby's colour (never fewer than it has). */
export async function ensureStandbyCapacity(ctx: DrContext, colour: ColourName, target: number): Promise<string> {
  const cap = await ctx.standby.call('capacity', (s) => s.capacity(colour));
  await sampleStandby(ctx, colour, cap.desired);
  if (cap.desired >= target) return `${ctx.standby.region} ${colour} already at ${cap.desired} (target ${target}, max ${cap.max})`;
  await ctx.standby.call('scale', (s) => s.scaleTo(colour, target));
  return `${ctx.standby.region} ${colour}: ${cap.desired} → ${target} instances (max ${cap.max})`;
}

/** Wait until the standby's colour has `target` healthy targets and no firing alarm. */
export async function waitForStandbyHealthy(ctx: DrContext, colour: ColourName, target: number): Promise<boolean> {
  return (await ctx.waitFor(`${target} healthy targets in ${ctx.standby.region} ${colour}`, ctx.settings.healthyTimeoutMs, async () => {
    const health = await ctx.standby.call('target health', (s) => s.health(colour));
    const firing = await ctx.standby.call('alarms', (s) => s.firingAlarms(colour));
    if (ctx.sampler) {
      const cap = await ctx.standby.call('capacity', (s) => s.capacity(colour));
      ctx.sampler('standby', cap.desired, health.healthy);
    }
    return {
      done: health.healthy >= target && firing.length === 0,
      seen: `${health.healthy}/${target} healthy${firing.length ? `, firing: ${firing.join(', ')}` : ''}`,
    };
  })) === 'done';
}

/** A drill's capacity sample of the standby's colour (only while a drill records them: one health read). */
export async function sampleStandby(ctx: DrContext, colour: ColourName, desired?: number): Promise<void> {
  if (!ctx.sampler) return;
  const cap = desired ?? (await ctx.standby.call('capacity', (s) => s.capacity(colour))).desired;
  ctx.sampler('standby', cap, (await ctx.standby.call('target health', (s) => s.health(colour))).healthy);
}
