/** What every /read and /write route answers, whichever session implementation is behind it. */
export interface CounterBody {
  counter: number;
}

/** What every /untouched route answers. */
export const UNTOUCHED_BODY = { ok: true } as const;
