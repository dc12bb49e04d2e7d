/**
 * The parser returns WHERE/HAVING as a right-leaning chain of `{left, operator, right}` links where
 * parentheses are counts on the conditions (`openParen`, `closeParen`) and `NOT` is a link whose
 * left side is null (or only carries parentheses). This turns that chain back into a boolean tree.
 *
 * SOQL requires parentheses when AND and OR are mixed at one level (`a AND b OR c` is
 * "unexpected token: 'OR'"); that rule is enforced here.
 */
import type { Condition, ConditionWithValueQuery, HavingClause, WhereClause } from '@jetstreamapp/soql-parser-js';

export type BoolNode =
  | { kind: 'cond'; cond: ConditionWithValueQuery }
  | { kind: 'not'; operand: BoolNode }
  | { kind: 'and' | 'or'; operands: BoolNode[] };

type Token = { t: '(' } | { t: ')' } | { t: 'AND' } | { t: 'OR' } | { t: 'NOT' } | { t: 'cond'; cond: ConditionWithValueQuery };

export class WhereSyntaxError extends Error {
  constructor(readonly token: string) {
    super(`unexpected token: '${token}'`);
  }
}

function flatten(clause: WhereClause | HavingClause | undefined, out: Token[]): void {
  let link: (WhereClause | HavingClause) | undefined = clause;
  while (link) {
    const left = (link as { left: Condition | ConditionWithValueQuery | null }).left;
    if (left) {
      const open = (left as { openParen?: number }).openParen ?? 0;
      for (let i = 0; i < open; i++) out.push({ t: '(' });
      const isCondition = 'field' in left || 'fn' in left;
      if (isCondition) {
        out.push({ t: 'cond', cond: left as ConditionWithValueQuery });
        const close = (left as { closeParen?: number }).closeParen ?? 0;
        for (let i = 0; i < close; i++) out.push({ t: ')' });
      }
    }
    const op = (link as { operator?: string }).operator;
    if (op === 'AND' || op === 'OR' || op === 'NOT') out.push({ t: op });
    link = (link as { right?: WhereClause | HavingClause }).right;
  }
}

/** The boolean tree of a WHERE or HAVING clause (undefined when there is none). */
export function whereTree(clause: WhereClause | HavingClause | undefined): BoolNode | undefined {
  if (!clause) return undefined;
  const tokens: Token[] = [];
  flatten(clause, tokens);
  let pos = 0;
  const peek = () => tokens[pos];

  const expr = (): BoolNode => {
    const operands = [unary()];
    let op: 'AND' | 'OR' | undefined;
    for (;;) {
      const t = peek();
      if (!t || (t.t !== 'AND' && t.t !== 'OR')) break;
      if (op && op !== t.t) throw new WhereSyntaxError(t.t);
      op = t.t;
      pos++;
      operands.push(unary());
    }
    if (operands.length === 1) return operands[0]!;
    return { kind: op === 'OR' ? 'or' : 'and', operands };
  };

  const unary = (): BoolNode => {
    const t = peek();
    if (!t) throw new WhereSyntaxError('<EOF>');
    pos++;
    if (t.t === 'NOT') return { kind: 'not', operand: unary() };
    if (t.t === '(') {
      const inner = expr();
      if (peek()?.t !== ')') throw new WhereSyntaxError(peek()?.t ?? '<EOF>');
      pos++;
      return inner;
    }
    if (t.t === 'cond') return { kind: 'cond', cond: t.cond };
    throw new WhereSyntaxError(t.t);
  };

  const tree = expr();
  if (pos < tokens.length) throw new WhereSyntaxError(tokens[pos]!.t === 'cond' ? '(' : tokens[pos]!.t);
  return tree;
}
