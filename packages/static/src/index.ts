/** @sluice/static — public API (work in progress). */
export {};
