#!/usr/bin/env node
/** The CDK app: stacks chosen by context values (lib/app.ts, deploy/README.md). */
import { App } from 'aws-cdk-lib';
import { addStacks } from '../lib/app';

const app = new App();
const stacks = addStacks(app, { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
if (stacks.length === 1 && stacks[0].stackName === 'LakehoseLake') {
  console.error('lakehose: cross-account: deploy LakehoseLake with the lake account\'s credentials, then add '
    + '-c lakeKeyArn=<its LakeKeyArn output> to deploy Lakehose with the pipeline account\'s');
}
