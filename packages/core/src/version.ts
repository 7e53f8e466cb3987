/** Regatta's version, shown by the CLI and the API. */
export const VERSION = '0.1.0';
