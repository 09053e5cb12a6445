import * as os from 'os';

/** Who drives a release from this process, as written into the release record. */
export function ownerId(): string {
  return `${os.hostname()}:${process.pid}`;
}
