/**
 * Fault injection for the simulated IGNY8 API, driven by tests over /__sim/faults.
 * A fault matches requests by method and path prefix and either delays them, fails the next N of them,
 * or fails all of them until a deadline (e.g. "500 for 30 s").
 */
export interface Fault {
	method?: string;
	pathPrefix: string;
	/** HTTP status to answer with; omitted = only delay. */
	status?: number;
	/** Fail at most this many matching requests. */
	count?: number;
	/** Fail every matching request until this many ms from now. */
	durationMs?: number;
	delayMs?: number;
	/** Seconds, sent as Retry-After with 429/503. */
	retryAfter?: number;
}

interface ActiveFault extends Fault {
	until?: number;
	remaining?: number;
}

export class FaultBook {
	private faults: ActiveFault[] = [];

	add( fault: Fault ): void {
		this.faults.push( {
			...fault,
			until: fault.durationMs !== undefined ? Date.now() + fault.durationMs : undefined,
			remaining: fault.count,
		} );
	}

	clear(): void {
		this.faults = [];
	}

	/** Returns the fault to apply to this request, consuming one use of it. */
	take( method: string, path: string ): ActiveFault | undefined {
		const now = Date.now();
		this.faults = this.faults.filter(
			( f ) => ( f.until === undefined || f.until > now ) && ( f.remaining === undefined || f.remaining > 0 )
		);
		const fault = this.faults.find(
			( f ) => ( ! f.method || f.method.toUpperCase() === method ) && path.startsWith( f.pathPrefix )
		);
		if ( fault && fault.remaining !== undefined ) {
			fault.remaining -= 1;
		}
		return fault;
	}
}
