/**
 * Simulated IGNY8 auth: real HS256 JWTs with a short expiry, rotating refresh tokens that can be revoked,
 * and the "ApiKey" scheme used by the WordPress webhook.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

export interface SimUser {
	email: string;
	password: string;
}

export class SimAuth {
	private readonly key = randomBytes( 32 );
	private readonly liveRefresh = new Set< string >();
	/** Access tokens that verified: token → exp (seconds). */
	private readonly verifiedAccess = new Map< string, number >();
	accessTtlSeconds: number;
	authCalls = 0;

	constructor(
		public readonly user: SimUser,
		public apiKey: string,
		accessTtlSeconds: number
	) {
		this.accessTtlSeconds = accessTtlSeconds;
	}

	async issue(): Promise< { access: string; refresh: string } > {
		const now = Math.floor( Date.now() / 1000 );
		const access = await new SignJWT( { typ: 'access', email: this.user.email } )
			.setProtectedHeader( { alg: 'HS256' } )
			.setIssuedAt( now )
			.setExpirationTime( now + this.accessTtlSeconds )
			.setJti( randomUUID() )
			.sign( this.key );
		const refresh = await new SignJWT( { typ: 'refresh', email: this.user.email } )
			.setProtectedHeader( { alg: 'HS256' } )
			.setIssuedAt( now )
			.setExpirationTime( now + 7 * 86400 )
			.setJti( randomUUID() )
			.sign( this.key );
		this.liveRefresh.add( refresh );
		return { access, refresh };
	}

	checkPassword( email: unknown, password: unknown ): boolean {
		return email === this.user.email && password === this.user.password;
	}

	/** Rotates: the old refresh token stops working once used. */
	async refresh( token: unknown ): Promise< { access: string; refresh: string } | null > {
		if ( typeof token !== 'string' || ! this.liveRefresh.has( token ) ) {
			return null;
		}
		try {
			const { payload } = await jwtVerify( token, this.key, { algorithms: [ 'HS256' ] } );
			if ( payload.typ !== 'refresh' ) {
				return null;
			}
		} catch {
			return null;
		}
		this.liveRefresh.delete( token );
		return this.issue();
	}

	revokeAllRefreshTokens(): void {
		this.liveRefresh.clear();
	}

	/** Checks `Authorization: Bearer <access JWT>` or `Authorization: ApiKey <key>`. */
	async authorize( header: string | undefined, allowApiKey: boolean ): Promise< boolean > {
		if ( ! header ) {
			return false;
		}
		const [ scheme, value ] = header.split( ' ', 2 );
		if ( allowApiKey && scheme === 'ApiKey' ) {
			return value === this.apiKey;
		}
		if ( scheme !== 'Bearer' || ! value ) {
			return false;
		}
		// An access token that verified once stays good until its exp (the key never changes, access tokens are never
		// revoked): the same test jose's jwtVerify makes (exp > now in whole seconds, no tolerance), without a
		// signature check per request.
		const exp = this.verifiedAccess.get( value );
		if ( exp !== undefined ) {
			return Math.floor( Date.now() / 1000 ) < exp;
		}
		try {
			const { payload } = await jwtVerify( value, this.key, { algorithms: [ 'HS256' ] } );
			if ( payload.typ !== 'access' ) {
				return false;
			}
			if ( typeof payload.exp === 'number' ) {
				if ( this.verifiedAccess.size >= 10_000 ) {
					this.verifiedAccess.clear();
				}
				this.verifiedAccess.set( value, payload.exp );
			}
			return true;
		} catch {
			return false;
		}
	}
}
