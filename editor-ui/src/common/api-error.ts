/**
 * The one shape our UI gives a failed request. The plugin's routes answer `{success:false, error, code, field?,
 * request_id}`; core routes answer `{code, message, data:{status}}`; apiFetch itself rejects with
 * `{code:'fetch_error'|'invalid_json', message}` when there is no usable answer at all.
 */
export interface ApiError {
	code: string;
	message: string;
	/** The input the server blamed (422 VALIDATION_FAILED), when it said. */
	field?: string;
	requestId?: string;
}

const isRecord = ( value: unknown ): value is Record< string, unknown > =>
	typeof value === 'object' && value !== null;

export function toApiError(
	error: unknown,
	fallbackMessage: string
): ApiError {
	if ( ! isRecord( error ) ) {
		return { code: 'UNKNOWN_ERROR', message: fallbackMessage };
	}
	const message = [ error.error, error.message ].find(
		( candidate ): candidate is string =>
			typeof candidate === 'string' && candidate !== ''
	);
	const result: ApiError = {
		code: typeof error.code === 'string' ? error.code : 'UNKNOWN_ERROR',
		message: message ?? fallbackMessage,
	};
	if ( typeof error.field === 'string' ) {
		result.field = error.field;
	}
	if ( typeof error.request_id === 'string' ) {
		result.requestId = error.request_id;
	}
	return result;
}

/**
 * The route is not there (yet): the sidecar has no handler for it, or core knows no such route.
 * @param error Whatever apiFetch rejected with.
 */
export const isRouteMissing = ( error: ApiError ): boolean =>
	error.code === 'ROUTE_NOT_FOUND' || error.code === 'rest_no_route';

/**
 * Unwraps the success envelope `{success:true, data}`; a bare object is taken as the data itself.
 * @param reply A parsed reply.
 */
export function envelopeData< T >( reply: unknown ): T {
	if ( isRecord( reply ) && reply.success === true && 'data' in reply ) {
		return reply.data as T;
	}
	return reply as T;
}
