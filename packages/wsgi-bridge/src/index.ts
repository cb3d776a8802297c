/** @sluice/wsgi-bridge — public API (work in progress). */
export {};
