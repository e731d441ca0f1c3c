// Detection-quality measurement: metrics, the handbook's train/delay/test protocol and its
// logistic-regression yardstick.
export * from "./metrics.js";
export * from "./protocol.js";
export * from "./handbook-baseline.js";
