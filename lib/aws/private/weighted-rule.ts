import { Action, DescribeRulesCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ColourName, Weights } from '../../release/ports';

/** Largest weight an ALB accepts per target group. */
export const MAX_ALB_WEIGHT = 999;

/** Target group ARN of each colour. */
export interface ColourTargetGroups {
  readonly blue: string;
  readonly green: string;
}

/**
 * A listener rule whose weighted forward action splits traffic between the colours' target groups.
 *
 * ModifyRule replaces the whole action list, so a write sends back what it last read or wrote (order, stickiness,
 * other actions). Before any read it sends the rule as BlueGreenService defines it (one weighted forward, no
 * stickiness) instead of reading first: that keeps a fresh process's rollback at one write call.
 */
export class WeightedRule {
  private actions?: Action[];

  constructor(
    private readonly elb: ElasticLoadBalancingV2Client,
    private readonly ruleArn: string,
    private readonly targetGroups: ColourTargetGroups,
    /** `production` or `test`, for messages. */
    private readonly label: string,
  ) {}

  /** Current weights (one DescribeRules call). */
  public async read(): Promise<Weights> {
    const out = await this.elb.send(new DescribeRulesCommand({ RuleArns: [this.ruleArn] }));
    const rule = out.Rules?.[0];
    if (!rule) throw new Error(`The ${this.label} rule ${this.ruleArn} does not exist. Redeploy the service (cdk deploy).`);
    return this.remember(rule);
  }

  /** Set the weights: one ModifyRule call. */
  public async write(weights: Weights): Promise<void> {
    checkWeights(weights, this.label);
    const actions = this.actions ?? [{ Type: 'forward', Order: 1 }];
    const out = await this.elb.send(new ModifyRuleCommand({ RuleArn: this.ruleArn, Actions: actions.map((a) => this.reweigh(a, weights)) }));
    const rule = out.Rules?.[0];
    if (rule) this.remember(rule);
    else this.actions = undefined;
  }

  private remember(rule: Rule): Weights {
    const actions = rule.Actions ?? [];
    const forward = actions.find((a) => a.Type === 'forward');
    if (!forward) throw new Error(`The ${this.label} rule ${this.ruleArn} has no forward action. Redeploy the service (cdk deploy).`);
    this.actions = actions;
    return this.weightsOf(forward);
  }

  private weightsOf(forward: Action): Weights {
    const tuples = forward.ForwardConfig?.TargetGroups ?? (forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn }] : []);
    const weights = { blue: 0, green: 0 };
    for (const t of tuples) {
      const colour = this.colourOf(t.TargetGroupArn);
      // A lone target group without a weight gets all the traffic.
      weights[colour] = t.Weight ?? (tuples.length === 1 ? 100 : 1);
    }
    return weights;
  }

  private colourOf(arn: string | undefined): ColourName {
    if (arn === this.targetGroups.blue) return 'blue';
    if (arn === this.targetGroups.green) return 'green';
    throw new Error(
      `The ${this.label} rule ${this.ruleArn} forwards to ${arn}, which is neither colour's target group in the descriptor. ` +
        'The descriptor is stale or the rule was edited by hand: redeploy the service (cdk deploy).',
    );
  }

  /** The action with new weights; everything else (order, stickiness, other actions) as read. */
  private reweigh(action: Action, weights: Weights): Action {
    if (action.Type !== 'forward') return action;
    // Without TargetGroupArn: with it, ALB accepts only a single-group ForwardConfig.
    return {
      Type: 'forward',
      Order: action.Order,
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: this.targetGroups.blue, Weight: weights.blue },
          { TargetGroupArn: this.targetGroups.green, Weight: weights.green },
        ],
        TargetGroupStickinessConfig: action.ForwardConfig?.TargetGroupStickinessConfig,
      },
    };
  }
}

function checkWeights(weights: Weights, label: string): void {
  for (const colour of ['blue', 'green'] as const) {
    const w = weights[colour];
    if (!Number.isInteger(w) || w < 0 || w > MAX_ALB_WEIGHT) {
      throw new Error(`${label} weights: ${colour} must be an integer from 0 to ${MAX_ALB_WEIGHT}. Got ${w}.`);
    }
  }
  if (weights.blue + weights.green === 0) {
    throw new Error(`${label} weights: at least one colour needs a weight above 0. Got blue 0, green 0.`);
  }
}
