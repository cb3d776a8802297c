/** @sluice/server — public API (work in progress). */
export {};
