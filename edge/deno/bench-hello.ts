// The hello-world baseline for the Deno rows of `npm run bench:edge`: Deno.serve answering the same
// POST /v1/transactions/score with a constant, body unread (as edge/bench/hello.ts on workerd).
const port = Number(Deno.env.get("PORT") ?? "8791");
Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
  const path = new URL(req.url).pathname;
  if (req.method === "POST" && path === "/v1/transactions/score") return Response.json({ hello: "world" });
  return new Response("hello");
});
