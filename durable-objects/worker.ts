import { CardState } from "./card-state.js";
import { DeadLetterBox } from "./dead-letter-box.js";

// The vigil-card-state Worker (wrangler.toml [env.state]): the one owner of the CardState Durable
// Object class. Every regional edge Worker (vigil-edge-us, -eu, -apac) binds CARD_STATE to this
// class with script_name = "vigil-card-state", so all regions address one namespace and a card has
// one state worldwide. It also owns DeadLetterBox (each region's parked dead letters, bound as
// DEAD_LETTERS) and binds every region's queue for the objects' outboxes. It serves no HTTP of its own; its env carries what the objects read
// (REFERENCE_SOURCE and its credentials for rule sets by version, REFERENCE_FAILURE_POLICY).

export { CardState, DeadLetterBox };

export default {
  fetch(): Response {
    return new Response(JSON.stringify({ error: { code: "NOT_FOUND", message: "card state is reached through the regional edge Workers" } }), {
      status: 404,
      headers: { "content-type": "application/json" },
    });
  },
} satisfies ExportedHandler;
