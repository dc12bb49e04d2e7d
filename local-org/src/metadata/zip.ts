/**
 * Zip files of the Metadata API (deploy input, retrieve output), through jszip — the library
 * source-deploy-retrieve itself uses to build and read these zips.
 */
import JSZip from 'jszip';

/** Largest total uncompressed size accepted from a deploy zip (the platform's limit is ~400 MB unzipped; 100 MB is plenty locally). */
export const MAX_UNZIPPED_BYTES = 100 * 1024 * 1024;

export class ZipError extends Error {}

/** Reads every file of a zip as UTF-8 text, keyed by its path (directories skipped). */
export async function readZip(data: Buffer): Promise<Map<string, string>> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(data);
  } catch (e) {
    throw new ZipError(`The deploy zip file is not valid: ${(e as Error).message}`);
  }
  const files = new Map<string, string>();
  let total = 0;
  for (const [path, file] of Object.entries(zip.files)) {
    if (file.dir) continue;
    const content = await file.async('string');
    total += content.length;
    if (total > MAX_UNZIPPED_BYTES) throw new ZipError(`The deploy zip file unzips to more than ${MAX_UNZIPPED_BYTES} bytes`);
    files.set(path.replace(/\\/g, '/').replace(/^\.\//, ''), content);
  }
  return files;
}

export async function writeZip(files: { path: string; content: string }[]): Promise<Buffer> {
  const zip = new JSZip();
  for (const f of files) zip.file(f.path, f.content);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}
