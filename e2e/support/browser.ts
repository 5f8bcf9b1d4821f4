/**
 * The browser every UI test uses: Debian's Chromium (Playwright cannot download browsers here), logged in as the
 * admin by global-setup. The editor project takes it for all its specs; an integration spec that looks at an admin
 * screen takes it with `test.use( adminBrowser() )`. A function: the config sets the
 * environment it reads after its imports ran.
 */
export const adminBrowser = () => ( {
	browserName: 'chromium' as const,
	storageState: process.env.STORAGE_STATE_PATH,
	viewport: { width: 1440, height: 900 },
	launchOptions: {
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
		],
	},
} );
