import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findInterpolations, interpolateString, PyFloat, pythonFloatRepr, toDvcString } from '../../../src/core/pipeline/interpolation';

describe('DVC string conversion', () => {
  it('prints floats as Python does (values checked with DVC to_str)', () => {
    const cases: [number, string][] = [
      [0.1, '0.1'],
      [1, '1.0'],
      [1e-5, '1e-05'],
      [1e16, '1e+16'],
      [123456789.123, '123456789.123'],
      [-0, '-0.0'],
      [2.5e-4, '0.00025'],
      [1e-4, '0.0001'],
      [1.5e300, '1.5e+300'],
      [100000, '100000.0'],
      [Infinity, 'inf'],
    ];
    for (const [value, expected] of cases) assert.equal(pythonFloatRepr(value), expected, String(value));
  });

  it('turns a dict into command-line options in cmd, as DVC does', () => {
    const dict = { a: { b: 1, c: 'x y', d: true, e: false, f: [1, 'two words', new PyFloat(2)] }, g: null, h: new PyFloat(0.5) };
    assert.equal(toDvcString(dict), "--a.b 1 --a.c 'x y' --a.d --a.f 1 'two words' 2.0 --g None --h 0.5");
    assert.deepEqual(interpolateString('train ${opts}', { opts: { lr: new PyFloat(0.1) } }, 'cmd'), {
      value: 'train --lr 0.1',
      problems: [],
    });
  });

  it('refuses a dict outside cmd and finds escaped and bad expressions', () => {
    const outside = interpolateString('data/${opts}', { opts: { a: 1 } }, 'deps');
    assert.deepEqual(
      outside.problems.map((p) => p.kind),
      ['type'],
    );
    assert.deepEqual(
      findInterpolations('a ${x} \\${y} ${z.w[0]}').map((m) => m.expression),
      ['x', 'z.w[0]'],
    );
    assert.deepEqual(
      interpolateString('${a..b}', { a: 1 }, 'cmd').problems.map((p) => p.kind),
      ['syntax'],
    );
    // An exact `${x}` keeps the value's type (DVC does not stringify it).
    assert.equal(interpolateString('${flag}', { flag: true }, 'frozen').value, true);
  });
});
