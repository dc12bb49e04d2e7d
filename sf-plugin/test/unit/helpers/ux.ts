/**
 * Silences a command's output in unit tests and exposes the stubs: log/table/warn (stubSfCommandUx),
 * the spinner (stubSpinner) and the progress bar.
 */
import type { SinonSandbox } from 'sinon';
import { Progress, stubSfCommandUx, stubSpinner } from '@salesforce/sf-plugins-core';

// every SfCommand run adds process signal listeners; many runs in one process are expected here
process.setMaxListeners(100);

export function stubOutput(sandbox: SinonSandbox) {
  return {
    ...stubSfCommandUx(sandbox),
    spinner: stubSpinner(sandbox),
    progress: {
      start: sandbox.stub(Progress.prototype, 'start'),
      update: sandbox.stub(Progress.prototype, 'update'),
      finish: sandbox.stub(Progress.prototype, 'finish'),
      stop: sandbox.stub(Progress.prototype, 'stop'),
    },
  };
}

// SfCommand sets process.exitCode = 1 for every error it reports (and `mcp deploy` for a failed
// deploy); tests that expect errors must not leave it behind for the next test or for mocha.
afterEach(() => {
  process.exitCode = 0;
});
