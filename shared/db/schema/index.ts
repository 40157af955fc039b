export * from "./actions";
export * from "./distribution-sets";
export * from "./rollouts";
export * from "./software-modules";
export * from "./target-filters";
export * from "./target-types";
export * from "./targets";
export * from "./tenants";
