<?php
/**
 * Decides whether an image URL may be fetched, and from which address.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Media;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * SSRF gate for image URLs (SPEC §9), run again for every redirect hop:
 *
 * - http or https only; no user info; ASCII host names (IDN converted), canonical IPv4 literals only (no
 *   `2130706433`, `0x7f.1`, `127.1`), bracketed IPv6 literals;
 * - the URL is rebuilt from its parsed parts (path and query percent-encoded where needed, fragment dropped),
 *   so curl sees exactly the host that was checked;
 * - the host's A and AAAA records are resolved; when ANY address is not public unicast (Address_Policy), the
 *   URL is refused; the fetch is then pinned to a checked address (CURLOPT_RESOLVE);
 * - the site's own host is refused;
 * - exact `host:port` entries of the wp-config constant IGNY8_IMAGE_HOST_ALLOWLIST skip the address check, only
 *   when wp_get_environment_type() is `local` (the test fixture server on 127.0.0.1). Never an option, never
 *   from the sidecar.
 */
final class Url_Guard {

	public const MAX_URL_LENGTH = 2048;

	/** The only ports fetched, apart from exact IGNY8_IMAGE_HOST_ALLOWLIST entries. */
	public const PORTS = array( 80, 443 );

	/**
	 * Checks a URL and returns where to fetch it.
	 *
	 * @param string $url Absolute URL.
	 * @return array{url:string,scheme:string,host:string,port:int,address:string,addresses:string[],allow_listed:bool,ip_literal:bool}
	 * @throws Image_Error REFUSED for policy refusals, FAILED when the host does not resolve.
	 */
	public static function check( string $url ): array {
		if ( '' === $url || strlen( $url ) > self::MAX_URL_LENGTH || preg_match( '/[\x00-\x20\x7F\\\\]/', $url ) ) {
			throw Image_Error::refused( 'The image URL is empty, too long or contains spaces, control characters or backslashes.' );
		}
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
			throw Image_Error::refused( 'The image URL is not an absolute URL.' );
		}
		$scheme = strtolower( (string) $parts['scheme'] );
		if ( 'http' !== $scheme && 'https' !== $scheme ) {
			throw Image_Error::refused( 'Only http and https image URLs are fetched.' );
		}
		if ( isset( $parts['user'] ) || isset( $parts['pass'] ) ) {
			throw Image_Error::refused( 'Image URLs with user info are refused.' );
		}
		$port = isset( $parts['port'] ) ? (int) $parts['port'] : ( 'https' === $scheme ? 443 : 80 );
		if ( $port < 1 || $port > 65535 ) {
			throw Image_Error::refused( 'The image URL has an invalid port.' );
		}

		list( $host, $ip_literal ) = self::normalise_host( (string) $parts['host'] );
		$url_host                  = ( null !== $ip_literal && false !== strpos( $ip_literal, ':' ) ) ? '[' . $ip_literal . ']' : $host;
		$host_port                 = $url_host . ':' . $port;
		$allow_listed              = self::is_allow_listed( $host_port );
		if ( ! $allow_listed && ! in_array( $port, self::PORTS, true ) ) {
			// Anything else would let the API-key holder probe the site's network port by port.
			throw Image_Error::refused( 'Images are fetched only from ports 80 and 443.' );
		}

		if ( self::is_own_host( $host, $port, $allow_listed ) ) {
			throw Image_Error::refused( 'Images are not fetched from this site itself.' );
		}

		$addresses = null !== $ip_literal ? array( $ip_literal ) : self::resolve( $host );
		if ( ! $addresses ) {
			throw Image_Error::failed( "The image host {$host} does not resolve." );
		}
		if ( ! $allow_listed ) {
			foreach ( $addresses as $address ) {
				$reason = Address_Policy::refusal( $address );
				if ( null !== $reason ) {
					throw Image_Error::refused( "The image host {$host} resolves to a non-public address ({$reason})." );
				}
			}
			// By address, not only by name: the site's public IP as a literal, or another vhost on this server.
			$own = self::own_addresses();
			foreach ( $addresses as $address ) {
				if ( isset( $own[ $address ] ) ) {
					throw Image_Error::refused( 'Images are not fetched from this site itself.' );
				}
			}
		}
		// Prefer IPv4 for the pinned address: it is what most hosts can route.
		$pinned = $addresses[0];
		foreach ( $addresses as $address ) {
			if ( false === strpos( $address, ':' ) ) {
				$pinned = $address;
				break;
			}
		}

		$path = isset( $parts['path'] ) && '' !== $parts['path'] ? self::encode( (string) $parts['path'], "/:@!$&'()*+,;=" ) : '/';
		if ( '/' !== $path[0] ) {
			$path = '/' . $path;
		}
		$query   = isset( $parts['query'] ) ? '?' . self::encode( (string) $parts['query'], "/:@!$&'()*+,;=?" ) : '';
		$default = ( 'https' === $scheme ? 443 : 80 ) === $port;

		return array(
			'url'          => $scheme . '://' . $url_host . ( $default ? '' : ':' . $port ) . $path . $query,
			'scheme'       => $scheme,
			'host'         => $url_host,
			'port'         => $port,
			'address'      => $pinned,
			'addresses'    => $addresses,
			'allow_listed' => $allow_listed,
			'ip_literal'   => null !== $ip_literal,
		);
	}

	/**
	 * Whether `host:port` is in the test allow-list (local environments only).
	 *
	 * @param string $host_port Lowercase host (IPv6 in brackets), colon, port.
	 */
	public static function is_allow_listed( string $host_port ): bool {
		if ( ! defined( 'IGNY8_IMAGE_HOST_ALLOWLIST' ) || 'local' !== wp_get_environment_type() ) {
			return false;
		}
		$entries = array_filter( array_map( 'trim', explode( ',', strtolower( (string) constant( 'IGNY8_IMAGE_HOST_ALLOWLIST' ) ) ) ) );
		return in_array( strtolower( $host_port ), $entries, true );
	}

	/**
	 * Lowercase ASCII host name, and the canonical address when the host is an IP literal.
	 *
	 * @param string $raw Host as parsed (IPv6 literals keep their brackets).
	 * @return array{0:string,1:?string}
	 * @throws Image_Error REFUSED for malformed or ambiguous hosts.
	 */
	private static function normalise_host( string $raw ): array {
		$host = strtolower( rtrim( $raw, '.' ) );
		if ( '' !== $host && '[' === $host[0] ) {
			$inner = substr( $host, 1, -1 );
			if ( ']' !== substr( $host, -1 ) || false !== strpos( $inner, '%' ) || false === filter_var( $inner, FILTER_VALIDATE_IP, FILTER_FLAG_IPV6 ) ) {
				throw Image_Error::refused( 'The image URL has an invalid IPv6 host.' );
			}
			$canonical = (string) Address_Policy::canonical( $inner );
			return array( $canonical, $canonical );
		}
		if ( preg_match( '/[^\x21-\x7E]/', $host ) ) {
			$ascii = function_exists( 'idn_to_ascii' ) ? idn_to_ascii( $host, IDNA_DEFAULT, INTL_IDNA_VARIANT_UTS46 ) : false;
			if ( ! is_string( $ascii ) || '' === $ascii ) {
				throw Image_Error::refused( 'The image URL has a host name that cannot be converted to ASCII.' );
			}
			$host = strtolower( $ascii );
		}
		if ( strlen( $host ) > 253 || ! preg_match( '/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/', $host ) ) {
			throw Image_Error::refused( 'The image URL has an invalid host name.' );
		}
		// Every label numeric (decimal, octal or hex): an IPv4 literal. Only the canonical dotted quad is accepted,
		// because resolvers read `2130706433`, `0x7f.1` or `0177.0.0.1` as 127.0.0.1.
		$labels  = explode( '.', $host );
		$numeric = true;
		foreach ( $labels as $label ) {
			if ( ! preg_match( '/^(0x[0-9a-f]*|[0-9]+)$/', $label ) ) {
				$numeric = false;
				break;
			}
		}
		if ( $numeric ) {
			$valid = 4 === count( $labels ) && false !== filter_var( $host, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4 );
			foreach ( $labels as $label ) {
				$valid = $valid && ( '0' === $label || '0' !== $label[0] );
			}
			if ( ! $valid ) {
				throw Image_Error::refused( 'The image URL has a non-canonical IPv4 host.' );
			}
			return array( $host, $host );
		}
		return array( $host, null );
	}

	/**
	 * A and AAAA addresses of a host name (canonical text forms, unique).
	 *
	 * @param string $host ASCII host name.
	 * @return string[]
	 */
	private static function resolve( string $host ): array {
		$addresses = array();
		// gethostbynamel() goes through the system resolver (hosts file included, like curl would).
		$v4 = gethostbynamel( $host );
		foreach ( is_array( $v4 ) ? $v4 : array() as $address ) {
			$addresses[] = (string) $address;
		}
		$records = function_exists( 'dns_get_record' ) ? @dns_get_record( $host, DNS_A | DNS_AAAA ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors -- a failed lookup is "no records".
		foreach ( is_array( $records ) ? $records : array() as $record ) {
			if ( isset( $record['ipv6'] ) ) {
				$addresses[] = (string) $record['ipv6'];
			} elseif ( isset( $record['ip'] ) ) {
				$addresses[] = (string) $record['ip'];
			}
		}
		// The hosts file may map names to IPv6 too (localhost → ::1); dns_get_record() does not read it.
		$hosts_v6 = self::hosts_file_v6( $host );
		foreach ( $hosts_v6 as $address ) {
			$addresses[] = $address;
		}
		$canonical = array();
		foreach ( $addresses as $address ) {
			$text = Address_Policy::canonical( $address );
			if ( null !== $text ) {
				$canonical[ $text ] = true;
			}
		}
		return array_keys( $canonical );
	}

	/**
	 * IPv6 addresses the local hosts file gives a name.
	 *
	 * @param string $host Host name.
	 * @return string[]
	 */
	private static function hosts_file_v6( string $host ): array {
		$file = '/etc/hosts';
		if ( ! @is_readable( $file ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors -- open_basedir may forbid it.
			return array();
		}
		$lines = @file( $file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES ); // phpcs:ignore WordPress.PHP.NoSilencedErrors, WordPress.WP.AlternativeFunctions -- local system file.
		$found = array();
		foreach ( is_array( $lines ) ? $lines : array() as $line ) {
			$fields = preg_split( '/\s+/', trim( (string) preg_replace( '/#.*/', '', $line ) ) );
			if ( ! is_array( $fields ) || count( $fields ) < 2 || false === strpos( $fields[0], ':' ) ) {
				continue;
			}
			$names = array_map( 'strtolower', array_slice( $fields, 1 ) );
			if ( in_array( $host, $names, true ) ) {
				$found[] = $fields[0];
			}
		}
		return $found;
	}

	/**
	 * The addresses of this site: what the home and site URL hosts resolve to, and the server's own address.
	 *
	 * @return array<string,true> Canonical address => true.
	 */
	private static function own_addresses(): array {
		$own = array();
		foreach ( array( home_url(), site_url() ) as $url ) {
			$name = trim( strtolower( rtrim( (string) wp_parse_url( $url, PHP_URL_HOST ), '.' ) ), '[]' );
			if ( '' === $name ) {
				continue;
			}
			$literal = Address_Policy::canonical( $name );
			foreach ( null !== $literal ? array( $literal ) : self::resolve( $name ) as $address ) {
				$own[ $address ] = true;
			}
		}
		foreach ( array( 'SERVER_ADDR', 'LOCAL_ADDR' ) as $variable ) {
			$address = isset( $_SERVER[ $variable ] ) ? Address_Policy::canonical( (string) wp_unslash( $_SERVER[ $variable ] ) ) : null; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- validated as an IP by canonical().
			if ( null !== $address ) {
				$own[ $address ] = true;
			}
		}
		return $own;
	}

	/**
	 * Whether a host is this site's own (home or site URL).
	 *
	 * @param string $host         Normalised host.
	 * @param int    $port         Port.
	 * @param bool   $allow_listed Whether the test allow-list names host:port (then only the same port counts).
	 */
	private static function is_own_host( string $host, int $port, bool $allow_listed ): bool {
		foreach ( array( home_url(), site_url() ) as $own ) {
			$own_host = strtolower( rtrim( (string) wp_parse_url( $own, PHP_URL_HOST ), '.' ) );
			$own_host = trim( $own_host, '[]' );
			if ( '' === $own_host ) {
				continue;
			}
			$own_port = (int) wp_parse_url( $own, PHP_URL_PORT );
			if ( 0 === $own_port ) {
				$own_port = 'https' === wp_parse_url( $own, PHP_URL_SCHEME ) ? 443 : 80;
			}
			$literal   = Address_Policy::canonical( $host );
			$same_host = $own_host === $host || ( null !== $literal && Address_Policy::canonical( $own_host ) === $literal );
			if ( $same_host && ( ! $allow_listed || $own_port === $port ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Percent-encodes every byte outside the unreserved set and $keep (existing %XX escapes stay).
	 *
	 * @param string $value Path or query.
	 * @param string $keep  Extra characters kept as they are.
	 */
	private static function encode( string $value, string $keep ): string {
		return (string) preg_replace_callback(
			'/%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~' . preg_quote( $keep, '/' ) . ']/',
			static function ( array $match ): string {
				return '%' === $match[0][0] && 3 === strlen( $match[0] ) ? $match[0] : rawurlencode( $match[0] );
			},
			$value
		);
	}
}
