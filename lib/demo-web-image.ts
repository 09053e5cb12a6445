import * as fs from 'fs';
import * as path from 'path';
import { BakedImage, ImageComponent } from '../constructs';

/** Port the demo service listens on: the service's `appPort` default. */
export const DEMO_WEB_PORT = 8080;

const SOURCE_DIR = path.join(__dirname, 'demo-web');
const URL = `http://127.0.0.1:${DEMO_WEB_PORT}`;

/** Wait until the service answers, then check both endpoints; `/version` must return the image's identity file. */
const CHECK_ENDPOINTS = [
  `for i in $(seq 1 30); do curl -fsS -o /dev/null ${URL}/health && break; sleep 2; done`,
  `test "$(curl -fsS ${URL}/health)" = ok`,
  `test "$(curl -fsS ${URL}/version)" = "$(cat ${BakedImage.IDENTITY_FILE})"`,
];

/**
 * The demo web service as an image component: a Python (standard library) HTTP server run by systemd, serving
 * `/health` and `/version`. Its files are read here, at synth, and embedded into the component document, so a
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
