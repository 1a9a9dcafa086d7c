// Loaded after ts-node by tests/support/mocha/register.js.
// @pulumi/pulumi reads `new Error().stack` for every promise it tracks (runtime/debuggable.js), only to print
// it when PULUMI_DEBUG_PROMISE_LEAKS is set; ts-node's source-map support maps each of those stacks through
// the source maps, which took over a quarter of the unit specs' CPU time. Unless PULUMI_DEBUG_PROMISE_LEAKS is
// set, those stacks are left as the error's first line only (nothing reads them); every other stack, a
// failing test's included, stays source-mapped.
"use strict";
const mapped = Error.prepareStackTrace;
if (typeof mapped === "function" && !process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
  Error.prepareStackTrace = function prepareStackTrace(error, callSites) {
    if (callSites.length > 0 && callSites[0].getFunctionName() === "debuggablePromise") {
      return String(error);
    }
    return mapped(error, callSites);
  };
}
