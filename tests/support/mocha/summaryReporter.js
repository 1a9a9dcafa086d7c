// Mocha's spec reporter plus one closing line, "mocha: N passed, N failed[, N skipped]",
// and the same counts written to $MOCHA_COUNTS_FILE for scripts/test.sh's total.
"use strict";
const fs = require("fs");
const Mocha = require("mocha");
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const line = `mocha: ${s.passes} passed, ${s.failures} failed` + (s.pending ? `, ${s.pending} skipped` : "");
      process.stdout.write(`\n${line}\n`);
      if (process.env.MOCHA_COUNTS_FILE) {
        fs.writeFileSync(process.env.MOCHA_COUNTS_FILE, `${s.passes} ${s.failures} ${s.pending}\n`);
      }
    });
  }
}
module.exports = SummaryReporter;
