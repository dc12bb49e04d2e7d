/**
 * The API usage charts and report are the sf plugin's (`sf mcp logs --report`); Setup's API Logs page
 * draws the very same charts, so it imports them rather than keeping a second copy.
 */
export * from '../../../sf-plugin/src/shared/usageReport.ts';
