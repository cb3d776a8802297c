import test from 'ava';
import { brandErrorClass, coreErrorRegistry, defineErrors, isErrorRegistry, SluiceError } from '../src/errors.js';

test('defineErrors refuses a code outside its prefix, naming the row', (t) => {
  t.throws(() => defineErrors('SLUICE_ERR_WSGI_', { BAD_OPTION: [500, 'SLUICE_ERR_BAD_OPTION', 'Invalid option'] }), {
    instanceOf: TypeError,
    message: /BAD_OPTION has code "SLUICE_ERR_BAD_OPTION", not an upper-case code under SLUICE_ERR_WSGI_/,
  });
});

test('defineErrors refuses a code used twice and a status outside 400-599', (t) => {
  t.throws(() => defineErrors('APP_ERR_', { A: [400, 'APP_ERR_X', 'a'], B: [409, 'APP_ERR_X', 'b'] }), { message: /B repeats the code APP_ERR_X/ });
  t.throws(() => defineErrors('APP_ERR_', { OK: [200, 'APP_ERR_OK', 'fine'] }), { message: /OK has status 200, not 400-599/ });
  t.throws(() => defineErrors('app_', {}), { message: /prefix "app_"/ });
});

test('a registry builds its errors one way: the row status and code, the given message replacing the default', (t) => {
  const registry = defineErrors('APP_ERR_', { LOCKED: [423, 'APP_ERR_LOCKED', 'Resource is locked'] } as const);
  t.true(isErrorRegistry(registry));
  t.deepEqual(registry.resolve('LOCKED'), [423, 'APP_ERR_LOCKED', 'Resource is locked']);
  t.deepEqual(registry.resolve('LOCKED', 'invoice 7 is locked'), [423, 'APP_ERR_LOCKED', 'invoice 7 is locked']);
  const error = registry.create('LOCKED', undefined, { headers: { 'Retry-After': '5' } });
  t.true(error instanceof SluiceError);
  t.like(error, { status: 423, code: 'APP_ERR_LOCKED', message: 'Resource is locked', expose: true, headers: { 'Retry-After': '5' } });
  t.like(coreErrorRegistry.create('BAD_OPTION', 'option "x" is wrong'), { status: 500, code: 'SLUICE_ERR_BAD_OPTION', expose: false });
});

test('a branded class recognises an instance of a duplicate copy of itself; an unbranded subclass keeps the prototype test', async (t) => {
  // A query string makes the loader evaluate the module again: a second copy, as a
  // duplicate install of the package would give.
  const copyUrl = new URL('../src/sluice-error.ts?duplicate-copy', import.meta.url).href;
  const copy = (await import(copyUrl)) as typeof import('../src/sluice-error.js');
  t.not(copy.SluiceError, SluiceError);
  class Mine extends SluiceError {}
  brandErrorClass(Mine, 'test.error-registry.Mine');
  class CopyOfMine extends copy.SluiceError {}
  copy.brandErrorClass(CopyOfMine, 'test.error-registry.Mine');
  t.true(new CopyOfMine(400, 'A', 'a') instanceof Mine);
  t.true(new CopyOfMine(400, 'A', 'a') instanceof SluiceError);
  t.false(new SluiceError(400, 'A', 'a') instanceof Mine);
  class Unbranded extends SluiceError {}
  t.true(new Unbranded(400, 'A', 'a') instanceof Unbranded);
  t.false(new Mine(400, 'A', 'a') instanceof Unbranded);
});
