import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { BakedImage, ImageComponent } from '../constructs';

/** Port the demo service listens on: the service's `appPort` default. */
export const DEMO_WEB_PORT = 8080;
/** The service the demo web belongs to; its unit file passes it to the server (`BLUEGREEN_SERVICE`) to find its flags. */
export const DEMO_WEB_SERVICE = 'web';
/** The one feature flag the demo web reads (default off), shown at `GET /flags`. */
export const DEMO_WEB_FLAG = 'release-new-checkout';
/**
 * How often the demo's AppConfig Agent polls: AppConfig's shortest, so a `bluegreen flags kill` reaches every
 * instance at most 15 s after its deployment completes (the agent's default is 45 s). Polls that find no change are
 * cheap: AppConfig bills configurations received, and a poll with no new version receives none.
 */
export const DEMO_WEB_FLAG_POLL_INTERVAL = Duration.seconds(15);

const SOURCE_DIR = path.join(__dirname, 'demo-web');
const URL = `http://127.0.0.1:${DEMO_WEB_PORT}`;

/** Wait until the service answers, then check both endpoints; `/version` must return the image's identity file. */
const CHECK_ENDPOINTS = [
  `for i in $(seq 1 30); do curl -fsS -o /dev/null ${URL}/health && break; sleep 2; done`,
  `test "$(curl -fsS ${URL}/health)" = ok`,
  `test "$(curl -fsS ${URL}/version)" = "$(cat ${BakedImage.IDENTITY_FILE})"`,
  // /flags must answer whether or not the agent has anything to say (on the build instance it is not running).
  `curl -fsS ${URL}/flags | python3 -c 'import json, sys; assert isinstance(json.load(sys.stdin)["${DEMO_WEB_FLAG}"]["enabled"], bool)'`,
];

/**
 * Everything the demo web's image needs, in recipe order: the AWS AppConfig Agent (polling every 15 s,
 * no prefetch) and the demo web service, which reads its flag from the agent.
 */
export function demoWebImageComponents(): ImageComponent[] {
  return [
    // No prefetch: what the agent does at start when nothing is deployed yet is not documented, and a lazy first read
    // costs at most one request served with the default (the demo's 200 ms deadline).
    ImageComponent.appConfigAgent({ pollInterval: DEMO_WEB_FLAG_POLL_INTERVAL }),
    demoWebComponent(),
  ];
}

/**
 * The demo web service as an image component: a Python (standard library) HTTP server run by systemd, serving
 * `/health`, `/version` and `/flags` (the flag `release-new-checkout` from the AppConfig Agent, or its default). Its files are read here, at synth, and embedded into the component document, so a
 * change to either file bakes a new image version.
 */
export function demoWebComponent(): ImageComponent {
  const read = (file: string) => fs.readFileSync(path.join(SOURCE_DIR, file), 'utf8');
  return ImageComponent.fromSteps({
    name: 'demo-web',
    description: 'cdk-bluegreen demo web service on port 8080',
    files: [
      { path: '/opt/web/server.py', content: read('server.py'), permissions: '0755' },
      { path: '/etc/systemd/system/web.service', content: read('web.service') },
    ],
    buildCommands: ['command -v python3', 'systemctl daemon-reload', 'systemctl enable web.service'],
    // On the build instance: prove it runs, then stop it so the snapshot holds no runtime state.
    validateCommands: ['systemctl start web.service', ...CHECK_ENDPOINTS, 'systemctl stop web.service'],
    // On a fresh instance of the new image: systemd must have started it at boot.
    testCommands: ['systemctl is-enabled web.service', 'systemctl start web.service', ...CHECK_ENDPOINTS],
  });
}
