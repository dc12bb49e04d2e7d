/**
 * Tooling objects of Apex test runs (read-only, written by apex/test-runner-api.ts after each run
 * started through `runTestsSynchronous` / `runTestsAsynchronous`), queried by `sf apex run test`
 * (@salesforce/apex-node) through `/tooling/query`:
 *
 * - `AsyncApexJob` (707): the run's job; its Id is the test run Id.
 * - `ApexTestRunResult` (05m): the run summary (Status, ClassesEnqueued, MethodsEnqueued, TestTime…).
 * - `ApexTestQueueItem` (709): one per test class of an asynchronous run.
 * - `ApexTestResult` (07M): one per test method (Outcome, Message, StackTrace, RunTime…).
 * - `ApexCodeCoverage` (714): lines covered per (test class, test method, covered class).
 * - `ApexCodeCoverageAggregate` (715): lines covered per class over all runs since it last changed.
 * - `ApexOrgWideCoverage` (716): one row, the org's PercentCovered.
 *
 * `Coverage` is a JSON value `{coveredLines: number[], uncoveredLines: number[]}` as on the
 * platform (stored as text, rendered as JSON: FieldDef.json). AsyncApexJob is a data-API object too
 * on the platform; the local org serves it through the Tooling API only. Key prefixes 714/715/716
 * are UNCONFIRMED. The polymorphic `ApexClassOrTriggerId` references ApexClass only (the local org
 * has no Apex triggers).
 */
import { field as f } from './field-builders.ts';
import { toolingObject } from './tooling-objects.ts';
import type { FieldDef, ObjectDef } from './types.ts';

const coverage = (): FieldDef => ({ ...f.textarea('Coverage', 'Coverage', 131072), json: true, filterable: false, sortable: false, groupable: false });
const RUN_STATUS = ['Queued', 'Processing', 'Aborted', 'Completed', 'Failed'];
const ITEM_STATUS = ['Holding', 'Queued', 'Preparing', 'Processing', 'Aborted', 'Completed', 'Failed'];

export function apexTestObjects(): ObjectDef[] {
  return [
    toolingObject({
      name: 'AsyncApexJob',
      label: 'Apex Job',
      labelPlural: 'Apex Jobs',
      keyPrefix: '707',
      fields: [
        f.picklist('JobType', 'Job Type', ['Future', 'SharingRecalculation', 'ScheduledApex', 'BatchApex', 'Queueable', 'TestRequest', 'TestWorker', 'ApexToken', 'BatchApexWorker']),
        f.picklist('Status', 'Status', ['Holding', 'Queued', 'Preparing', 'Processing', 'Aborted', 'Completed', 'Failed']),
        f.text('ExtendedStatus', 'Status Detail', 255),
        f.lookup('ApexClassId', 'Apex Class ID', ['ApexClass'], 'ApexClass'),
        f.text('MethodName', 'Apex Method', 255),
        f.int('JobItemsProcessed', 'Batches Processed'),
        f.int('TotalJobItems', 'Total Batches'),
        f.int('NumberOfErrors', 'Failures'),
        f.datetime('CompletedDate', 'Completion Date'),
      ],
    }),
    toolingObject({
      name: 'ApexTestRunResult',
      label: 'Apex Test Run Result',
      labelPlural: 'Apex Test Run Results',
      keyPrefix: '05m',
      fields: [
        f.lookup('AsyncApexJobId', 'Async Apex Job ID', ['AsyncApexJob'], 'AsyncApexJob'),
        f.picklist('Status', 'Status', RUN_STATUS),
        f.int('ClassesCompleted', 'Classes Completed'),
        f.int('ClassesEnqueued', 'Classes Enqueued'),
        f.int('MethodsCompleted', 'Methods Completed'),
        f.int('MethodsEnqueued', 'Methods Enqueued'),
        f.int('MethodsFailed', 'Methods Failed'),
        f.datetime('StartTime', 'Start Time'),
        f.datetime('EndTime', 'End Time'),
        f.int('TestTime', 'Test Time', 18),
        f.int('TestSetupTime', 'Test Setup Time', 18),
        f.lookup('UserId', 'User ID', ['User'], 'User'),
        f.text('JobName', 'Job Name', 255),
        f.bool('IsAllTests', 'Is All Tests'),
        f.text('Source', 'Source', 255),
      ],
    }),
    toolingObject({
      name: 'ApexTestQueueItem',
      label: 'Apex Test Queue Item',
      labelPlural: 'Apex Test Queue Items',
      keyPrefix: '709',
      fields: [
        f.lookup('ApexClassId', 'Class ID', ['ApexClass'], 'ApexClass'),
        f.picklist('Status', 'Status', ITEM_STATUS),
        f.text('ExtendedStatus', 'Status Detail', 255),
        f.lookup('ParentJobId', 'Parent Job ID', ['AsyncApexJob'], 'ParentJob'),
        f.lookup('TestRunResultId', 'Test Run Result ID', ['ApexTestRunResult'], 'TestRunResult'),
        f.bool('ShouldSkipCodeCoverage', 'Skip Code Coverage'),
      ],
    }),
    toolingObject({
      name: 'ApexTestResult',
      label: 'Apex Test Result',
      labelPlural: 'Apex Test Results',
      keyPrefix: '07M',
      fields: [
        f.lookup('ApexClassId', 'Class ID', ['ApexClass'], 'ApexClass'),
        f.lookup('AsyncApexJobId', 'Async Apex Job ID', ['AsyncApexJob'], 'AsyncApexJob'),
        f.lookup('QueueItemId', 'Queue Item ID', ['ApexTestQueueItem'], 'QueueItem'),
        f.lookup('ApexTestRunResultId', 'Apex Test Run Result ID', ['ApexTestRunResult'], 'ApexTestRunResult'),
        f.text('MethodName', 'Method Name', 255),
        f.picklist('Outcome', 'Pass/Fail', ['Pass', 'Fail', 'CompileFail', 'Skip']),
        f.textarea('Message', 'Error Message', 4000),
        f.textarea('StackTrace', 'Stack Trace', 4000),
        f.int('RunTime', 'Run Time', 18),
        f.datetime('TestTimestamp', 'Test Timestamp'),
        f.text('ApexLogId', 'Apex Log ID', 18),
        f.bool('IsTestSetup', 'Is Test Setup'),
      ],
    }),
    toolingObject({
      name: 'ApexCodeCoverage',
      label: 'Apex Code Coverage',
      labelPlural: 'Apex Code Coverage',
      keyPrefix: '714',
      fields: [
        f.lookup('ApexTestClassId', 'Test Class ID', ['ApexClass'], 'ApexTestClass'),
        f.lookup('ApexClassOrTriggerId', 'Class or Trigger ID', ['ApexClass'], 'ApexClassOrTrigger'),
        f.text('TestMethodName', 'Test Method Name', 255),
        f.int('NumLinesCovered', 'Lines Covered'),
        f.int('NumLinesUncovered', 'Lines Uncovered'),
        coverage(),
      ],
    }),
    toolingObject({
      name: 'ApexCodeCoverageAggregate',
      label: 'Apex Code Coverage Aggregate',
      labelPlural: 'Apex Code Coverage Aggregates',
      keyPrefix: '715',
      fields: [
        f.lookup('ApexClassOrTriggerId', 'Class or Trigger ID', ['ApexClass'], 'ApexClassOrTrigger'),
        f.int('NumLinesCovered', 'Lines Covered'),
        f.int('NumLinesUncovered', 'Lines Uncovered'),
        coverage(),
      ],
    }),
    toolingObject({
      name: 'ApexOrgWideCoverage',
      label: 'Apex Org Wide Coverage',
      labelPlural: 'Apex Org Wide Coverage',
      keyPrefix: '716',
      fields: [f.int('PercentCovered', 'Percent Covered', 3)],
    }),
  ];
}
