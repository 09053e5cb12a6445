import { ReleaseEventType } from '../events';
import { ColourName, Weights } from '../ports';
import { formatWeights, sameWeights } from '../weights';
import { EngineContext, EventExtra } from './context';

/**
 * Read the weights until they equal `expected`: one `getWeights` call when the load balancer is consistent, at most
 * `verifyAttempts`, `verifyIntervalMs` apart (ALB updates can lag, so a single mismatch is not yet a failure).
 *
 * @returns undefined when verified, else the weights last read
 */
export async function verifyWeights(ctx: EngineContext, expected: Weights, extra: EventExtra = {}): Promise<Weights | undefined> {
  let seen: Weights | undefined;
  for (let attempt = 1; attempt <= ctx.opts.verifyAttempts; attempt++) {
    if (attempt > 1) {
      ctx.emit(ReleaseEventType.WEIGHTS_LAGGING, `Read back ${formatWeights(seen!)}, expected ${formatWeights(expected)}; reading again`, {
        ...extra,
        weights: seen,
      });
      await ctx.ports.clock.sleep(ctx.opts.verifyIntervalMs);
    }
    seen = await ctx.ports.traffic.getWeights();
    if (sameWeights(seen, expected)) {
      ctx.emit(ReleaseEventType.WEIGHTS_VERIFIED, `Verified ${formatWeights(seen)}`, { ...extra, weights: seen });
      return undefined;
    }
  }
  ctx.emit(
    ReleaseEventType.WEIGHTS_MISMATCH,
    `Weights read back as ${formatWeights(seen!)} after ${ctx.opts.verifyAttempts} reads, expected ${formatWeights(expected)}`,
    { ...extra, weights: seen },
  );
  return seen;
}

/** Set the weights in one call and verify them. @returns undefined when verified, else the weights last read */
export async function setAndVerify(ctx: EngineContext, weights: Weights, extra: EventExtra = {}): Promise<Weights | undefined> {
  await ctx.ports.traffic.setWeights(weights);
  ctx.emit(ReleaseEventType.WEIGHTS_SET, `Set ${formatWeights(weights)}`, { ...extra, weights });
  return verifyWeights(ctx, weights, extra);
}

/** Point the test route at `colour`. */
export async function pointTestRoute(ctx: EngineContext, colour: ColourName): Promise<void> {
  await ctx.ports.traffic.setTestTarget(colour);
  ctx.emit(ReleaseEventType.TEST_ROUTE_SET, `Test route points at ${colour}`);
}

/**
 * One gate poll of `colour`: at least `expectedHealthy` (and at least one) healthy targets, and no gate alarm firing.
 * A target group with no healthy target fails open on an ALB, so zero is never enough.
 *
 * @returns why the gate failed, or undefined when it passed
 */
export async function gateFailure(ctx: EngineContext, colour: ColourName, expectedHealthy: number): Promise<string | undefined> {
  const health = await ctx.ports.health.count(colour);
  // A pilot light at zero (allowZeroCapacity, expecting 0) serves no one: only its alarms gate it.
  const needed = ctx.opts.allowZeroCapacity ? expectedHealthy : Math.max(expectedHealthy, 1);
  if (health.healthy < needed) {
    return `${colour} has ${health.healthy}/${health.total} healthy targets, ${needed} expected`;
  }
  const firing = await ctx.ports.alarms.firing(colour);
  if (firing.length > 0) return `alarms firing on ${colour}: ${firing.join(', ')}`;
  return undefined;
}
