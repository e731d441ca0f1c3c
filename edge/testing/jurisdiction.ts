// A stand-in for the CardState namespace with jurisdictions, for local workerd (which has none:
// `ns.jurisdiction("eu")` throws there). `jurisdiction(j)` returns a view of the SAME real namespace
// whose ids are derived from `jurisdiction:<j>/<name>`, so, as on Cloudflare, a name has a
// different id in a jurisdiction than in the plain namespace, and the same id from any caller.
// Every address taken is recorded (zone, name, id, location hint).

export interface Address {
  zone: string;
  name: string;
  id: string;
  locationHint?: string | undefined;
}

export interface JurisdictionStandIn<T extends Rpc.DurableObjectBranded | undefined> {
  ns: DurableObjectNamespace<T>;
  addresses: Address[];
  jurisdictions: string[];
  /** The id the stand-in gives `name` in `zone` ("default" = the plain namespace). */
  idOf(zone: string, name: string): string;
}

export function jurisdictionStandIn<T extends Rpc.DurableObjectBranded | undefined>(real: DurableObjectNamespace<T>): JurisdictionStandIn<T> {
  const addresses: Address[] = [];
  const jurisdictions: string[] = [];
  const names = new Map<string, { zone: string; name: string }>();
  const derive = (zone: string, name: string) => (zone === "default" ? name : `jurisdiction:${zone}/${name}`);
  const view = (zone: string) => ({
    idFromName(name: string): DurableObjectId {
      const id = real.idFromName(derive(zone, name));
      names.set(id.toString(), { zone, name });
      return id;
    },
    get(id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) {
      const at = names.get(id.toString()) ?? { zone, name: "?" };
      addresses.push({ ...at, id: id.toString(), locationHint: options?.locationHint });
      return real.get(id, options);
    },
  });
  const ns = {
    ...view("default"),
    jurisdiction(j: DurableObjectJurisdiction) {
      jurisdictions.push(j);
      return view(j);
    },
  } as unknown as DurableObjectNamespace<T>;
  return { ns, addresses, jurisdictions, idOf: (zone, name) => real.idFromName(derive(zone, name)).toString() };
}
