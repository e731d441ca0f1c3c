import { Hono } from "hono";

// The hello-world baseline of `npm run bench:edge`: a Hono app in the same workerd, hit with the
// same requests (POST /v1/transactions/score with the same bodies), answering a constant. The body
// is not read, so the ratio to it is the cost of everything the real edge does per request.

const app = new Hono();
app.get("/", (c) => c.text("hello"));
app.post("/v1/transactions/score", (c) => c.json({ hello: "world" }));

export default app;
