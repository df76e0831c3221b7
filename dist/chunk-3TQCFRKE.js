import { createRequire as __lxcminCreateRequire } from 'node:module'; const require = __lxcminCreateRequire(import.meta.url);
import {
  context,
  getOctokit
} from "./chunk-5RNI5PWA.js";
import "./chunk-ZVWW4N2Q.js";
import "./chunk-J7OYKHTX.js";
import "./chunk-PKPEHFMJ.js";
export {
  context,
  getOctokit
};
//# sourceMappingURL=chunk-3TQCFRKE.js.map
