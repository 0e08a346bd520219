// Hands control back to the event loop so that a long fit() lets timers, I/O, abort signals and a
// page's rendering run. setImmediate where it exists (Node, Bun, Deno); otherwise a MessageChannel
// round trip, which browsers do not clamp to 4 ms as they do nested setTimeout.

export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
