/**
 * Apex syntax checking for deploys, with @apexdevtools/apex-parser (pure JavaScript ANTLR grammar;
 * the local org has no Apex compiler). Syntax errors become the platform's compile-error shape:
 * a problem with a 1-based line and column.
 *
 * Results are cached by content hash, in memory and on disk (`$TMPDIR/forcegate-apex-check-v1/`,
 * or `FORCEGATE_APEX_CACHE_DIR`): a deploy of the whole project re-sends unchanged classes, and the
 * parser's first parse in a process costs seconds (ANTLR builds its prediction tables), which every
 * `startLocalOrg` would otherwise pay for the project's force-app.
 */
import { ApexErrorListener, ApexParserFactory } from '@apexdevtools/apex-parser';
import { ApexSourceCache, apexSyntaxMessage } from '../apex/source-cache.ts';

export interface ApexSyntaxError {
  line: number;
  column: number;
  problem: string;
}

export interface ApexCheck {
  errors: ApexSyntaxError[];
  /** Whether a method carries `@InvocableMethod` (what makes a class an invocable action). */
  invocable: boolean;
  /** Whether the class carries `@RestResource`. */
  restResource: boolean;
}

class CollectingListener extends ApexErrorListener {
  readonly errors: ApexSyntaxError[] = [];
  override apexSyntaxError(line: number, column: number, message: string): void {
    this.errors.push({ line, column: column + 1, problem: apexSyntaxMessage(message) });
  }
}

const cache = new ApexSourceCache<ApexCheck>('', 'apex-parser-5.2.0/1');

export function checkApex(body: string): ApexCheck {
  return cache.get(body, () => {
    const listener = new CollectingListener();
    const { parser } = ApexParserFactory.createLexerAndParser(body, listener);
    parser.compilationUnit();
    const stripped = stripComments(body);
    return {
      // The compiler stops at the first error; so does the platform's deploy message.
      errors: listener.errors.slice(0, 1),
      invocable: /@\s*InvocableMethod\b/i.test(stripped),
      restResource: /@\s*RestResource\b/i.test(stripped),
    };
  });
}

/** The source without comments (string literals kept), for annotation look-ups that must not match a comment. */
export function stripComments(body: string): string {
  return body.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'/g, (s) => (s.startsWith("'") ? s : ''));
}
