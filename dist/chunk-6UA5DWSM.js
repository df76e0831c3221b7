import { createRequire as __lxcminCreateRequire } from 'node:module'; const require = __lxcminCreateRequire(import.meta.url);
import {
  VERSION,
  retry
} from "./chunk-HVMCRCU7.js";
import "./chunk-J7OYKHTX.js";
import "./chunk-PKPEHFMJ.js";
export {
  VERSION,
  retry
};
//# sourceMappingURL=chunk-6UA5DWSM.js.map
