/**
 * The sites of the hosted instance (e2e/hosted.config.ts): three real WordPress sites enrolled on one pair of hosted
 * replicas. The port plan lives inside the instance's own 10-port slot of scripts/test.ts (base = WP_PORT):
 *
 *   WordPress               base + 0 / + 1 / + 2 (the MariaDB site's server at its WP port + 1000)
 *   replicas, nginx front   SIDECAR_PORT + 0 / + 1, nginx SIDECAR_PORT + 2
 *   IGNY8 simulators        SIMULATOR_PORT + 0 / + 1 / + 2: each site has its own IGNY8 (base URL and credentials)
 *   image server            STACK_CONTROL_PORT + 1
 *   PostgreSQL 15           STACK_CONTROL_PORT + 6
 */
export interface HostedSiteSpec {
	/** The Playwright project of this site's specs. */
	project: string;
	version: string;
	db: 'sqlite' | 'mariadb';
	index: number;
}

export const HOSTED_SITES: readonly HostedSiteSpec[] = [
	{ project: 'hosted-6.1-sqlite', version: '6.1', db: 'sqlite', index: 0 },
	{ project: 'hosted-6.5-sqlite', version: '6.5', db: 'sqlite', index: 1 },
	{ project: 'hosted-6.1-mariadb', version: '6.1', db: 'mariadb', index: 2 },
];

export function hostedPorts() {
	const wp = Number( process.env.WP_PORT ?? 8900 );
	const sidecar = Number( process.env.SIDECAR_PORT ?? wp + 100 );
	const simulator = Number( process.env.SIMULATOR_PORT ?? wp + 200 );
	const control = Number( process.env.STACK_CONTROL_PORT ?? wp + 300 );
	return {
		wp: ( index: number ) => wp + index,
		simulator: ( index: number ) => simulator + index,
		replicas: [ sidecar, sidecar + 1 ],
		front: sidecar + 2,
		images: control + 1,
		pg: control + 6,
	};
}
