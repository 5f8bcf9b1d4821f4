/** Public surface of the shim ⇄ sidecar protocol (`@igny8/sidecar/shim-protocol`). */
export { JwtError, readPinnedHeader, signJwt, verifyJwt } from './jwt.ts';
export {
  KeyRing,
  SECRET_BYTES,
  base64url,
  bodyHash,
  decodeSecret,
  deriveDirectionKey,
  keyId,
  siteKeys,
  type KeyDirection,
  type SiteKeys,
} from './keys.ts';
export * from './messages.ts';
export { ReplayCache, ReplayCacheFullError } from './replay-cache.ts';
export {
  ShimProtocolError,
  fetchTransport,
  runShimConversation,
  signShimRequest,
  verifySidecarReply,
  type OperationExecutor,
  type SecretInput,
  type ShimConversationOptions,
  type ShimConversationResult,
  type ShimTransport,
  type ShimTransportRequest,
  type ShimTransportResponse,
  type SignShimRequestOptions,
  type SignedShimRequest,
  type VerifySidecarReplyOptions,
} from './shim-client.ts';
export {
  ShimRequestVerifier,
  htuMatchesPath,
  newJti,
  signSidecarReply,
  type Clock,
  type ShimRequestFacts,
  type VerifiedShimRequest,
} from './shim-requests.ts';
