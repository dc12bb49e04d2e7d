/**
 * Salesforce record Ids: 3-character key prefix, 2-character instance, 10-character sequence,
 * and the 3-character case-safe suffix that turns a 15-character Id into an 18-character one.
 * Hand-written because the suffix algorithm is Salesforce-specific and tiny.
 */
import { randomBytes } from 'node:crypto';

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The case-safe checksum suffix for a 15-character Id. */
export function idSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charAt(chunk * 5 + i);
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET.charAt(bits);
  }
  return suffix;
}

/** 15 → 18 characters; an 18-character Id is returned as is. */
export function to18(id: string): string {
  return id.length === 15 ? id + idSuffix(id) : id;
}

const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$/;

/** Whether `value` has the shape of a 15/18-character Id whose suffix (if any) is consistent. */
export function isValidId(value: string): boolean {
  if (!ID_PATTERN.test(value)) return false;
  return value.length === 15 || idSuffix(value.slice(0, 15)) === value.slice(15);
}

/** Compare two Ids the way the platform does: 15 and 18-character forms of one Id are equal. */
export function sameId(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  return a.slice(0, 15) === b.slice(0, 15);
}

/** Normalises a valid Id to 18 characters; throws on a malformed one. */
export function normalizeId(value: string): string {
  if (!isValidId(value)) throw new Error(`malformed id ${value}`);
  return to18(value);
}

let sequence = 0;

/**
 * A new 18-character Id with the given key prefix. The 10-character body mixes a time-ordered
 * counter with randomness so Ids are unique across restarts of the same data directory.
 */
export function newId(keyPrefix: string, instance = '5g'): string {
  sequence = (sequence + 1) % 62 ** 3;
  const time = Date.now();
  let body = '';
  let t = time;
  for (let i = 0; i < 5; i++) {
    body = BASE62.charAt(t % 62) + body;
    t = Math.floor(t / 62);
  }
  let s = sequence;
  for (let i = 0; i < 3; i++) {
    body += BASE62.charAt(s % 62);
    s = Math.floor(s / 62);
  }
  const rnd = randomBytes(2);
  body += BASE62.charAt(rnd[0]! % 62) + BASE62.charAt(rnd[1]! % 62);
  return to18(keyPrefix + instance + body);
}
