import { Arn, Aspects, CfnResource, CustomResource, Duration, IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { bundledHandlerCode } from '../private/bundled-handler';
import { Construct, IConstruct } from 'constructs';
import { Colour } from './colour';
import { ColourFleet } from './colour-fleet';

/** Properties of the release guard. */
export interface ReleaseGuardProps {
  /** Service name. */
  readonly serviceName: string;
  /** SSM parameter holding the service descriptor. */
  readonly descriptorParameterName: string;
  /** Both colour slots, for what they declare. */
  readonly fleets: ColourFleet[];
  /** What the weighted rules route through (see `BlueGreenService.routingIdentity`); a change is refused. */
  readonly routingIdentity: string;
  /**
   * Whether the deploy keeps quarantine on. Turning it off while instances are kept is refused: nothing would
   * terminate them.
   *
   * @default false
   */
  readonly quarantine?: boolean;
}

/**
 * Refuses a deploy that would change the image of, or scale to standby, a colour that holds live traffic.
 *
 * Call `protect(scope)` so every resource in `scope` waits for the guard: a refused deploy changes none of them.
 */
export class ReleaseGuard extends Construct {
  /** The function behind the custom resource. */
  public readonly function: lambda.IFunction;
  /** The custom resource; it fails the deploy with a message naming the colour and the fix. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ReleaseGuardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Release guard of ${props.serviceName}: reads the descriptor and the live weights`,
    });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [Arn.format({ service: 'ssm', resource: 'parameter', resourceName: props.descriptorParameterName.replace(/^\//, '') }, stack)],
      }),
    );
    // DescribeRules supports no resource-level permissions.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeRules'], resources: ['*'] }));
    // Kept instances are found by tag (turning quarantine off while some are kept is refused); DescribeInstances
    // supports no resource-level permissions.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));

    this.function = new lambda.Function(this, 'Function', {
      code: bundledHandlerCode('release-guard'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.minutes(1),
      role,
      logGroup,
      description: `Release guard of ${props.serviceName}`,
    });

    const colours: Record<string, { image: string; mode: string }> = {};
    for (const fleet of props.fleets) {
      colours[fleet.colour.name] = { image: fleet.imageFingerprint, mode: fleet.mode.name };
    }
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::BlueGreenReleaseGuard',
      properties: {
        ServiceName: props.serviceName,
        DescriptorParameter: props.descriptorParameterName,
        Colours: colours,
        RoutingIdentity: props.routingIdentity,
        Quarantine: String(props.quarantine ?? false),
      },
    });
    this.resource.node.addDependency(role);
    if (!Colour.all().every((c) => colours[c.name])) {
      throw new Error('ReleaseGuard: fleets must include both blue and green.');
    }
  }

  /** Make every CloudFormation resource under `scope` (outside the guard) wait for the guard's verdict. */
  public protect(scope: IConstruct): void {
    Aspects.of(scope).add(new DependOnGuard(this));
  }
}

class DependOnGuard implements IAspect {
  constructor(private readonly guard: ReleaseGuard) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || isWithin(node, this.guard)) return;
    node.node.addDependency(this.guard.resource);
  }
}

function isWithin(node: IConstruct, ancestor: IConstruct): boolean {
  return node.node.scopes.includes(ancestor);
}
