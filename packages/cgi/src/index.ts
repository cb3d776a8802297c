/** @sluice/cgi — public API (work in progress). */
export {};
