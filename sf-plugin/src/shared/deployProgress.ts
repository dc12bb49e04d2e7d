/**
 * A staged deploy display in the manner of `sf project deploy start`: Preparing, Waiting for the org
 * to respond, Deploying Metadata (a component bar), Done, then a status block. Everything goes to
 * stderr/stdout through the command's own spinner, progress bar and log, so --json silences it.
 */
import type { Progress, Spinner } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'mcp.deploy');

/** The part of a Metadata API deploy status the display reads. */
export type DeployStatusLike = {
  id?: string;
  status?: string;
  numberComponentsTotal?: number | string;
  numberComponentsDeployed?: number | string;
  numberComponentErrors?: number | string;
};

type Output = {
  log(message?: string): void;
  styledHeader(text: string): void;
  spinner: Spinner;
  progress: Progress;
};

const n = (v: number | string | undefined): number => Number(v ?? 0) || 0;

export class DeployProgress {
  private readonly startedAt = Date.now();
  private stage: 'preparing' | 'waiting' | 'deploying' | 'done' = 'preparing';
  private barStarted = false;

  public constructor(
    private readonly out: Output,
    private readonly dryRun: boolean,
  ) {}

  public start(username: string, apiVersion: string, componentCount: number): void {
    this.out.styledHeader(messages.getMessage(this.dryRun ? 'progress.titleDryRun' : 'progress.title'));
    this.out.log(messages.getMessage('progress.intro', [componentCount, apiVersion, username]));
    this.out.spinner.start(messages.getMessage('progress.preparing'));
  }

  /** The deploy request was accepted by the org. */
  public submitted(id: string): void {
    this.out.spinner.stop(messages.getMessage('progress.done'));
    this.out.log(messages.getMessage('progress.deployId', [id]));
    this.stage = 'waiting';
    this.out.spinner.start(messages.getMessage('progress.waiting'));
  }

  public update(status: DeployStatusLike): void {
    const total = n(status.numberComponentsTotal);
    if (this.stage === 'waiting' && (status.status === 'InProgress' || total > 0)) {
      this.out.spinner.stop(messages.getMessage('progress.done'));
      this.stage = 'deploying';
    }
    if (this.stage === 'deploying' && total > 0) {
      const value = n(status.numberComponentsDeployed) + n(status.numberComponentErrors);
      if (!this.barStarted) {
        this.barStarted = true;
        this.out.progress.start(total, { status: status.status ?? '' }, {
          title: messages.getMessage('progress.deploying'),
          format: '%s | {bar} | {value}/{total} Components {status}',
        });
      }
      this.out.progress.update(value, { status: status.status ?? '' });
    }
  }

  public finish(status: DeployStatusLike, username: string): void {
    if (this.stage === 'preparing' || this.stage === 'waiting') this.out.spinner.stop(messages.getMessage('progress.done'));
    if (this.barStarted) this.out.progress.finish({ status: status.status ?? '' });
    this.stage = 'done';
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(2);
    this.out.log();
    this.out.log(messages.getMessage('progress.status', [status.status ?? 'Unknown']));
    this.out.log(messages.getMessage('progress.deployId', [status.id ?? '']));
    this.out.log(messages.getMessage('progress.targetOrg', [username]));
    this.out.log(messages.getMessage('progress.elapsed', [seconds]));
  }

  /** Stops the spinner or bar after an error. */
  public abort(): void {
    if (this.stage === 'preparing' || this.stage === 'waiting') this.out.spinner.stop(messages.getMessage('progress.failed'));
    if (this.barStarted) this.out.progress.stop();
    this.stage = 'done';
  }
}
