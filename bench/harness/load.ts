import autocannon from 'autocannon';

/** What one autocannon run measured. */
export interface Load {
  /** Completed requests per second. */
  rps: number;
  /** Completed requests. */
  completed: number;
  /** How long the run took, in seconds. */
  seconds: number;
  /** 99th percentile latency in milliseconds. */
  p99: number;
  /** Requests sent, including the few still in flight when the run stopped. */
  sent: number;
  /** Responses other than 2xx, plus socket errors and timeouts. */
  failures: number;
}

/** How a run loads the app. */
export interface LoadPlan {
  url: string;
  connections: number;
  /** Cookie header of each connection, in turn; none sends no cookie. */
  cookies: readonly string[];
  /** Seconds to run, or a number of requests to send. */
  until: { seconds: number } | { requests: number };
}

/** Runs autocannon against `plan.url`, quietly. */
export async function runLoad(plan: LoadPlan): Promise<Load> {
  let connection = 0;
  const result = await autocannon({
    url: plan.url,
    connections: plan.connections,
    ...('seconds' in plan.until
      ? { duration: plan.until.seconds }
      : { amount: plan.until.requests }),
    setupClient: (client) => {
      if (plan.cookies.length === 0) return;
      client.setHeaders({ cookie: plan.cookies[connection++ % plan.cookies.length] });
    },
  });
  return {
    rps: result.requests.total / result.duration,
    completed: result.requests.total,
    seconds: result.duration,
    p99: result.latency.p99,
    sent: result.requests.sent,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
