import * as fs from 'fs';
import * as path from 'path';
import type { DrillReport } from '../release/dr/types';

/** Where a drill's two report files went, as given (relative to the working directory when the directory was). */
export interface DrillReportFiles {
  readonly json: string;
  readonly markdown: string;
}

/**
 * Write `<service>-<drillId>.json` and `.md` into `dir` (created if missing), for a person to read and a pipeline to
 * archive. The JSON is the report as the engine returned it.
 *
 * @param dir as the operator gave it (`--report-dir`), shown in messages
 * @param cwd what a relative `dir` is relative to
 */
export function writeDrillReport(report: DrillReport, markdown: string, dir: string, cwd: string): DrillReportFiles {
  const absolute = path.resolve(cwd, dir);
  fs.mkdirSync(absolute, { recursive: true });
  const base = `${report.service}-${report.drillId}`;
  fs.writeFileSync(path.join(absolute, `${base}.json`), `${JSON.stringify(report, undefined, 2)}\n`);
  fs.writeFileSync(path.join(absolute, `${base}.md`), markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return { json: path.join(dir, `${base}.json`), markdown: path.join(dir, `${base}.md`) };
}
