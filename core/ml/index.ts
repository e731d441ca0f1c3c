// Tier 3: the Isolation Forest — training (offline), the serialized model and fast inference.
export { averagePathLength, EULER_GAMMA, FOREST_FORMAT, FOREST_FORMAT_VERSION, ForestModelSchema, ScoreReferenceSchema, TreeSchema } from "./model.js";
export type { ForestModel, ScoreReference, Trained, Tree } from "./model.js";
export { compileForest } from "./compiled.js";
export type { CompiledForest, FeatureContribution } from "./compiled.js";
export { REFERENCE_QUANTILES, scoreReference, trainForest } from "./forest.js";
export type { TrainOptions } from "./forest.js";
export type { SplitSpace } from "./forest.js";
// The supervised model (gradient-boosted trees).
export * from "./gbdt/index.js";
