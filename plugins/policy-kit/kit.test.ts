import { describe, it, expect } from 'vitest';
import { deadlineMs, grantAllowance, matchesLabels, nextOpening, parseDuration, resolveSize, soakMs, windowContains, type DailyWindow } from './kit.js';

const at = (iso: string) => Date.parse(iso);

describe('policy-kit', () => {
  describe('parseDuration', () => {
    const rows: [string | undefined, number | undefined][] = [
      ['90s', 90_000],
      ['5m', 300_000],
      ['1h30m', 5_400_000],
      ['1.5h', 5_400_000],
      ['250ms', 250],
      ['2h0m5s', 7_205_000],
      ['0', 0],
      ['0s', 0],
      ['None', undefined],
      ['', undefined],
      [undefined, undefined],
      ['5', undefined],
      ['1d', undefined],
      ['5m junk', undefined],
    ];
    for (const [text, ms] of rows) it(`reads ${JSON.stringify(text)} as ${String(ms)}`, () => expect(parseDuration(text)).toBe(ms));

    it('reads zero and None as no deadline, and as no soak', () => {
      expect([deadlineMs('0'), deadlineMs('0s'), deadlineMs('None'), deadlineMs(undefined), deadlineMs('2m')]).toEqual([null, null, null, null, 120_000]);
      expect([soakMs('0'), soakMs('None'), soakMs(undefined), soakMs('1m')]).toEqual([0, 0, 0, 60_000]);
    });
  });

  describe('resolveSize', () => {
    const rows: [number | string | undefined, number, number, number][] = [
      [3, 10, 99, 3],
      [30, 10, 99, 10],
      [0, 10, 99, 0],
      ['25%', 10, 99, 3],
      ['25%', 5, 99, 2],
      ['7%', 100, 99, 7],
      ['10%', 30, 99, 3],
      ['1%', 1, 99, 1],
      ['100%', 7, 99, 7],
      ['0%', 7, 99, 0],
      ['50%', 0, 99, 0],
      [undefined, 10, 99, 99],
      ['abc', 10, 99, 99],
      [-2, 10, 99, 99],
    ];
    for (const [value, total, fallback, size] of rows) {
      it(`resolves ${JSON.stringify(value)} of ${total} to ${size}`, () => expect(resolveSize(value, total, fallback)).toBe(size));
    }
  });

  it('matches labels like a Kubernetes matchLabels selector', () => {
    expect(matchesLabels({ a: '1', b: '2' }, { a: '1' })).toBe(true);
    expect(matchesLabels({ a: '1' }, { a: '2' })).toBe(false);
    expect(matchesLabels({}, { a: '' })).toBe(false);
    expect(matchesLabels({ a: '1' }, {})).toBe(true);
    expect(matchesLabels({}, { constructor: 'x' })).toBe(false);
  });

  describe('grantAllowance', () => {
    const now = at('2026-03-02T10:00:00Z');
    it('allows anything without a grant', () => expect(grantAllowance(null, 5, now).room).toBe(Number.POSITIVE_INFINITY));
    it('allows what is left of maxStarted', () => expect(grantAllowance({ maxStarted: 5, until: null }, 3, now).room).toBe(2));
    it('allows nothing once maxStarted is used up', () => expect(grantAllowance({ maxStarted: 2, until: null }, 3, now).room).toBe(0));
    it('allows nothing after until, and still at until', () => {
      expect(grantAllowance({ maxStarted: null, until: '2026-03-02T09:59:59.999Z' }, 0, now).room).toBe(0);
      expect(grantAllowance({ maxStarted: null, until: '2026-03-02T10:00:00Z' }, 0, now).room).toBe(Number.POSITIVE_INFINITY);
    });
    it('allows nothing when until cannot be read', () => expect(grantAllowance({ maxStarted: null, until: 'tomorrow' }, 0, now).room).toBe(0));
  });

  describe('daily windows', () => {
    const nightly: DailyWindow = { start: '22:00', end: '04:00' };
    const rows: [string, DailyWindow, string, boolean, string | undefined][] = [
      ['inside a same-day window', { start: '09:00', end: '11:00' }, '2026-03-02T10:00:00Z', true, '2026-03-03T09:00:00.000Z'],
      ['at the opening minute', { start: '10:00', end: '11:00' }, '2026-03-02T10:00:00Z', true, '2026-03-03T10:00:00.000Z'],
      ['at the closing minute (exclusive)', { start: '09:00', end: '10:00' }, '2026-03-02T10:00:00Z', false, '2026-03-03T09:00:00.000Z'],
      ['before a nightly window', nightly, '2026-03-02T21:59:00Z', false, '2026-03-02T22:00:00.000Z'],
      ['after midnight in a nightly window', nightly, '2026-03-03T03:59:00Z', true, '2026-03-03T22:00:00.000Z'],
      ['after midnight, window opened on a listed day', { ...nightly, days: ['Mon'] }, '2026-03-03T01:00:00Z', true, '2026-03-09T22:00:00.000Z'],
      ['after midnight, window of an unlisted day', { ...nightly, days: ['Tue'] }, '2026-03-03T01:00:00Z', false, '2026-03-03T22:00:00.000Z'],
      ['on a weekend-only window during the week', { days: ['Sat', 'Sun'], start: '00:00', end: '06:00' }, '2026-03-04T12:00:00Z', false, '2026-03-07T00:00:00.000Z'],
      ['on a whole-day window (start equals end)', { days: ['Wed'], start: '00:00', end: '00:00' }, '2026-03-04T23:59:59Z', true, '2026-03-11T00:00:00.000Z'],
      ['on the first epoch day, a Thursday', { days: ['Thu'], start: '00:00', end: '01:00' }, '1970-01-01T00:30:00Z', true, '1970-01-08T00:00:00.000Z'],
    ];
    for (const [name, window, time, open, next] of rows) {
      it(`is ${open ? 'open' : 'closed'} ${name}`, () => {
        expect(windowContains(window, at(time))).toBe(open);
        const opening = nextOpening(window, at(time));
        expect(opening === undefined ? undefined : new Date(opening).toISOString()).toBe(next);
      });
    }
    it('is never open for an unreadable time', () => expect(windowContains(nightly, Number.NaN)).toBe(false));
  });
});
