#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib/core';
import { ShopStack } from '../lib/shop-stack';
import { ShopStandbyStack } from '../lib/shop-standby-stack';

const app = new cdk.App();
// The Region is what BlueGreenService needs; the account stays unset, so the synth needs no context lookup.
new ShopStack(app, 'Shop', { env: { region: 'eu-west-1' } });
new ShopStandbyStack(app, 'ShopStandby', { env: { region: 'eu-central-1' } });
