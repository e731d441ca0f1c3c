import { createServer } from "node:net";

// A loopback port nobody listens on right now, for the CLI (embedded-system.ts) and for the dev
// tools, benches and tests that start servers of their own (the OS picks it; it is released
// before the caller binds it). It lives in cli/ because nothing may import infra/.
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
