<?php
/**
 * Why one image was not used.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Media;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * An image that cannot be used never fails a publish: it becomes a warning. REFUSED is a policy decision (scheme,
 * private address, not an image, too large, too many redirects); FAILED is a fetch error (DNS, connection, HTTP
 * status, timeout). The message never contains more than the URL's host.
 */
final class Image_Error extends \RuntimeException {

	public const REFUSED = 'IMAGE_REFUSED';

	public const FAILED = 'IMAGE_FAILED';

	/**
	 * IMAGE_REFUSED or IMAGE_FAILED.
	 *
	 * @var string
	 */
	private string $warning_code;

	/**
	 * Constructor.
	 *
	 * @param string $warning_code REFUSED or FAILED.
	 * @param string $message      Human message.
	 */
	public function __construct( string $warning_code, string $message ) {
		parent::__construct( $message );
		$this->warning_code = self::FAILED === $warning_code ? self::FAILED : self::REFUSED;
	}

	/**
	 * A policy refusal.
	 *
	 * @param string $message Human message.
	 */
	public static function refused( string $message ): self {
		return new self( self::REFUSED, $message );
	}

	/**
	 * A fetch failure.
	 *
	 * @param string $message Human message.
	 */
	public static function failed( string $message ): self {
		return new self( self::FAILED, $message );
	}

	/**
	 * IMAGE_REFUSED or IMAGE_FAILED.
	 */
	public function warning_code(): string {
		return $this->warning_code;
	}

	/**
	 * The warning entry of the operation result.
	 *
	 * @param string $field The op field naming the image, e.g. "featured_image" or "gallery.2".
	 * @return array<string,string>
	 */
	public function to_warning( string $field ): array {
		return array(
			'code'    => $this->warning_code,
			'message' => $this->getMessage(),
			'field'   => $field,
		);
	}
}
