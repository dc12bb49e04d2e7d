/**
 * Value coercion of the DML service: the JSON values clients send → what the org stores.
 */
import { expect } from 'chai';
import { coerceValue, parseDatetime } from '../../../src/dml/values.ts';
import { field } from '../../../src/schema/field-builders.ts';

describe('DML value coercion', () => {
  it('datetimes: ISO with Z, +0000, +01:00 or no zone (UTC) → ISO UTC', () => {
    expect(parseDatetime('2026-03-01T10:20:30.123Z')).to.equal('2026-03-01T10:20:30.123Z');
    expect(parseDatetime('2026-03-01T10:20:30.000+0000')).to.equal('2026-03-01T10:20:30.000Z');
    expect(parseDatetime('2026-03-01T10:20:30+01:00')).to.equal('2026-03-01T09:20:30.000Z');
    expect(parseDatetime('2026-03-01T10:20')).to.equal('2026-03-01T10:20:00.000Z');
    expect(parseDatetime('2026-03-01')).to.equal('2026-03-01T00:00:00.000Z');
    expect(parseDatetime('2026-02-30T00:00:00Z')).to.equal(undefined);
    expect(parseDatetime('yesterday')).to.equal(undefined);
  });

  it('shape errors carry what the REST API reports as JSON_PARSER_ERROR', () => {
    const c = coerceValue(field.double('Amount', 'Amount'), 'lots');
    expect(c.ok).to.equal(false);
    if (c.ok) return;
    expect(c.shape).to.deep.equal({ javaType: 'double', token: 'VALUE_STRING' });
    expect(c.error).to.deep.equal({ statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: 'Amount: value not of required type: lots', fields: ['Amount'] });
    const obj = coerceValue(field.text('Name', 'Name', 80), { a: 1 });
    expect(!obj.ok && obj.shape?.token).to.equal('START_OBJECT');
  });

  it('text accepts numbers, empty means null, booleans default to false', () => {
    expect(coerceValue(field.text('Phone', 'Phone', 40), 5550100)).to.deep.equal({ ok: true, value: '5550100' });
    expect(coerceValue(field.text('Phone', 'Phone', 40), '')).to.deep.equal({ ok: true, value: null });
    expect(coerceValue(field.bool('Flag', 'Flag'), null)).to.deep.equal({ ok: true, value: false });
  });

  it('multi-select picklists join with ; and check restricted values', () => {
    const fd = { ...field.picklist('Tags__c', 'Tags', ['A', 'B']), type: 'multipicklist' as const, restrictedPicklist: true };
    expect(coerceValue(fd, ['A', 'B', 'A'])).to.deep.equal({ ok: true, value: 'A;B' });
    expect(coerceValue(fd, 'A;C')).to.deep.include({ ok: false });
  });
});
