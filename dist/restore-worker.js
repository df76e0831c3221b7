import { createRequire as __lxcminCreateRequire } from 'node:module'; const require = __lxcminCreateRequire(import.meta.url);
import {
  restoreCache
} from "./chunk-2YCZOEYD.js";
import "./chunk-YLZHTWPB.js";
import "./chunk-RDWFKAFQ.js";
import "./chunk-ZVWW4N2Q.js";
import "./chunk-PKPEHFMJ.js";

// src/cache/restore-worker.ts
var request = JSON.parse(process.argv[2] ?? "{}");
var matched = await restoreCache(
  request.paths,
  request.key,
  request.restoreKeys,
  request.options
);
process.stdout.write(`RESULT ${JSON.stringify({ matched: matched ?? null })}
`);
process.exit(0);
//# sourceMappingURL=restore-worker.js.map
