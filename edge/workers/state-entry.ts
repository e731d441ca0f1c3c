import { VigilError, errorResponse } from "../../core/contracts/errors.js";
import { DeadLetterBox } from "../../durable-objects/dead-letter-box.js";
import { CardState } from "./card-state.js";

// The vigil-card-state Worker (wrangler.toml [env.state]): the one owner of the CardState Durable
// Object class. Every regional edge Worker (vigil-edge-us, -eu, -apac) binds CARD_STATE to this
// class with script_name = "vigil-card-state", so all regions address one namespace and a card has
// one state worldwide. It also owns DeadLetterBox (each region's parked dead letters, bound as
// DEAD_LETTERS) and binds every region's queue for the objects' outboxes. It serves no HTTP of its
// own; its env carries what the objects read (REFERENCE_SOURCE and its credentials for rule sets
// and models by version, REFERENCE_FAILURE_POLICY). Part of the Workers adapter: it wires the
// objects (card-state.ts), which import core only.

export { CardState, DeadLetterBox };

export default {
  fetch(): Response {
    return errorResponse(new VigilError(404, "NOT_FOUND", "card state is reached through the regional edge Workers"));
  },
} satisfies ExportedHandler;
