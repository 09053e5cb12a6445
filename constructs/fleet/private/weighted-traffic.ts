import { Annotations, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct, IConstruct } from 'constructs';
import { TestListenerOptions } from '../blue-green-service';
import { TrafficRouteDescriptor } from '../../../lib/contract';
import { checkIntRange, propError } from '../../private/validate';

/**
 * Priority of the catch-all rules that carry the weights. The highest allowed, so rules users add come first.
 */
export const TRAFFIC_RULE_PRIORITY = 50000;

/** Weights written on the first deploy: blue live, green idle. The template never changes them afterwards. */
export const INITIAL_WEIGHTS = { production: { blue: 100, green: 0 }, test: { blue: 0, green: 100 } };

/** Properties of the weighted traffic routes. */
export interface WeightedTrafficProps {
  readonly serviceName: string;
  readonly vpc: ec2.IVpc;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly blue: elbv2.IApplicationTargetGroup;
  readonly green: elbv2.IApplicationTargetGroup;
  readonly certificates?: elbv2.IListenerCertificate[];
  readonly sslPolicy?: elbv2.SslPolicy;
  readonly productionPort?: number;
  readonly allowedCidrs: string[];
  readonly test?: TestListenerOptions;
  /** Whether the load balancer is internet-facing (then private sources cannot reach its listeners). */
  readonly internetFacing: boolean;
}

/**
 * The production and test listeners and the rules whose weighted forward actions carry each colour's share.
 *
 * Why rules and not the listeners' default actions: CloudFormation re-sends a listener's whole definition when
 * anything on it changes (a certificate, the TLS policy), which would reset the weights. The rules' template is
 * fixed after the first deploy: their properties reference only the stable target groups and these constants.
 */
export class WeightedTraffic extends Construct {
  /** The production listener. */
  public readonly productionListener: elbv2.ApplicationListener;
  /** The test listener. */
  public readonly testListener: elbv2.ApplicationListener;
  /** Rule carrying live traffic: blue 100, green 0 on the first deploy. */
  public readonly productionRule: elbv2.ApplicationListenerRule;
  /** Rule forwarding the test listener to the idle colour: green on the first deploy. */
  public readonly testRule: elbv2.ApplicationListenerRule;
  /** The production route, for the descriptor. */
  public readonly production: TrafficRouteDescriptor;
  /** The test route, for the descriptor. */
  public readonly test: TrafficRouteDescriptor;

  constructor(scope: Construct, id: string, props: WeightedTrafficProps) {
    super(scope, id);
    const https = (props.certificates?.length ?? 0) > 0;
    const protocol = https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP;
    const productionPort = props.productionPort ?? (https ? 443 : 80);
    const testPort = props.test?.port ?? (https ? 8443 : 8080);
    checkIntRange('productionPort', productionPort, 1, 65535);
    checkIntRange('testListener.port', testPort, 1, 65535);
    checkPorts(productionPort, testPort, https);
    checkCidrs('allowedCidrs', props.allowedCidrs);
    checkCidrs('testListener.allowedCidrs', props.test?.allowedCidrs ?? []);
    if (!https) {
      Annotations.of(this.node.scope ?? this).addWarningV2(
        'cdk-bluegreen:plainHttp',
        `${props.serviceName}: no certificates given, so the production listener serves plain HTTP on ${productionPort}. Pass certificates for HTTPS.`,
      );
    }

    const listener = (lid: string, port: number, open: boolean) =>
      props.loadBalancer.addListener(lid, {
        port,
        protocol,
        certificates: props.certificates,
        sslPolicy: https ? (props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS) : undefined,
        open,
        defaultAction: elbv2.ListenerAction.fixedResponse(503, { contentType: 'text/plain', messageBody: 'no colour is routed' }),
      });
    this.productionListener = listener('Production', productionPort, false);
    for (const cidr of props.allowedCidrs) {
      this.productionListener.connections.allowDefaultPortFrom(ec2.Peer.ipv4(cidr), `Production traffic from ${cidr}`);
    }
    if (https) {
      props.loadBalancer.addRedirect({ sourcePort: 80, targetPort: productionPort, open: false });
      for (const cidr of props.allowedCidrs) {
        props.loadBalancer.connections.allowFrom(ec2.Peer.ipv4(cidr), ec2.Port.tcp(80), `HTTP to HTTPS redirect from ${cidr}`);
      }
    }
    this.testListener = listener('Test', testPort, false);
    for (const cidr of props.test?.allowedCidrs ?? []) {
      this.testListener.connections.allowDefaultPortFrom(ec2.Peer.ipv4(cidr), `Test traffic from ${cidr}`);
    }
    for (const sg of props.test?.allowedSecurityGroups ?? []) {
      this.testListener.connections.allowDefaultPortFrom(sg, 'Test traffic from an allowed security group');
    }
    warnIfUnreachable(this.node.scope ?? this, props, testPort);
    if (!props.test?.allowedCidrs?.length && !props.test?.allowedSecurityGroups?.length) {
      Annotations.of(this.node.scope ?? this).addWarningV2(
        'cdk-bluegreen:testListenerClosed',
        `${props.serviceName}: the test listener on ${testPort} admits no one. Set testListener.allowedCidrs or testListener.allowedSecurityGroups.`,
      );
    }

    const rule = (rid: string, on: elbv2.ApplicationListener, weights: { blue: number; green: number }) =>
      new elbv2.ApplicationListenerRule(this, rid, {
        listener: on,
        priority: TRAFFIC_RULE_PRIORITY,
        conditions: [elbv2.ListenerCondition.pathPatterns(['*'])],
        action: elbv2.ListenerAction.weightedForward([
          { targetGroup: props.blue, weight: weights.blue },
          { targetGroup: props.green, weight: weights.green },
        ]),
      });
    this.productionRule = rule('ProductionRule', this.productionListener, INITIAL_WEIGHTS.production);
    this.testRule = rule('TestRule', this.testListener, INITIAL_WEIGHTS.test);

    const route = (l: elbv2.ApplicationListener, r: elbv2.ApplicationListenerRule, port: number): TrafficRouteDescriptor => ({
      listenerArn: l.listenerArn,
      ruleArn: r.listenerRuleArn,
      port,
      protocol,
    });
    this.production = route(this.productionListener, this.productionRule, productionPort);
    this.test = route(this.testListener, this.testRule, testPort);
  }
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

function checkCidrs(prop: string, cidrs: string[]) {
  for (const cidr of cidrs) {
    if (!Token.isUnresolved(cidr) && !IPV4_CIDR.test(cidr)) {
      throw propError(prop, cidr, 'must hold IPv4 CIDR ranges such as 203.0.113.0/24.');
    }
  }
}

const PRIVATE_RANGES = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./];

/**
 * Callers inside the VPC reach an internet-facing load balancer through its public addresses (via NAT), so their
 * private addresses and security groups never match its rules.
 */
function warnIfUnreachable(scope: IConstruct, props: WeightedTrafficProps, testPort: number) {
  if (!props.internetFacing) return;
  const privateCidrs = (props.test?.allowedCidrs ?? []).filter((c) => !Token.isUnresolved(c) && PRIVATE_RANGES.some((r) => r.test(c)));
  if (privateCidrs.length || props.test?.allowedSecurityGroups?.length) {
    Annotations.of(scope).addWarningV2(
      'cdk-bluegreen:testListenerUnreachable',
      `${props.serviceName}: the load balancer is internet-facing, so callers reach the test listener on ${testPort} from public addresses: ` +
        `${privateCidrs.length ? `private ranges (${privateCidrs.join(', ')})` : 'security groups'} never match. ` +
        "Allow your pipeline's public egress CIDR instead, or make the service internal.",
    );
  }
}

function checkPorts(productionPort: number, testPort: number, https: boolean) {
  if (Token.isUnresolved(productionPort) || Token.isUnresolved(testPort)) return;
  if (testPort === productionPort) {
    throw propError('testListener.port', testPort, `must differ from the production port (${productionPort}); pick another, e.g. 8443.`);
  }
  if (https && (testPort === 80 || productionPort === 80)) {
    throw propError(testPort === 80 ? 'testListener.port' : 'productionPort', 80, 'is taken by the HTTP to HTTPS redirect; pick another port.');
  }
}
