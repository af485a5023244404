/** Imported first by every helper that starts containers: Ryuk cannot be pulled here, so each test stops its own. */
process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';
