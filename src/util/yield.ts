// Hands control back to the event loop so that a long fit() lets timers, I/O, abort signals and a
// page's rendering run: setImmediate in Node, Bun and Deno; a MessageChannel round trip on the web
// platform (src/platform/), which browsers do not clamp to 4 ms as they do nested setTimeout.
export { yieldToEventLoop } from '#platform';
