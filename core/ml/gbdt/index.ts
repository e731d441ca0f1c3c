// The supervised model: gradient-boosted trees (trained by train/train.ts), its file
// format and fast inference with exact TreeSHAP reasons.
export {
  GBDT_FORMAT,
  GBDT_FORMAT_VERSION,
  GbdtCalibrationSchema,
  GbdtModelSchema,
  GbdtParamsSchema,
  GbdtThresholdsSchema,
  GbdtTrainedSchema,
  GbdtTreeSchema,
  GbdtValidationSchema,
} from "./model.js";
export type { GbdtCalibration, GbdtModel, GbdtParams, GbdtThresholds, GbdtTrained, GbdtTree, GbdtValidation } from "./model.js";
export { compileGbdt } from "./compiled.js";
export type { CompiledGbdt, GbdtReason } from "./compiled.js";
export { canonicalGbdt, serializeGbdt } from "./serialize.js";
