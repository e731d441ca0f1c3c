// The shape the trainer reads: a dense row-major matrix (NaN = missing) and 0/1 labels.

export interface GbdtDataset {
  /** rows × cols feature values, row-major; NaN marks a missing value. */
  x: Float64Array | Float32Array;
  rows: number;
  cols: number;
  /** 1 = fraud, 0 = legitimate. */
  y: Uint8Array;
  featureNames: readonly string[];
  /** Optional card id per row, for card precision@100 on the validation set. */
  cardIds?: Uint32Array;
}

export function checkDataset(name: string, d: GbdtDataset): void {
  if (!(d.rows >= 1 && d.cols >= 1)) throw new RangeError(`${name}: needs at least one row and one column`);
  if (d.x.length !== d.rows * d.cols) throw new RangeError(`${name}: x has ${d.x.length} values, expected rows × cols = ${d.rows * d.cols}`);
  if (d.y.length !== d.rows) throw new RangeError(`${name}: y has ${d.y.length} labels for ${d.rows} rows`);
  if (d.featureNames.length !== d.cols) throw new RangeError(`${name}: ${d.featureNames.length} feature names for ${d.cols} columns`);
  if (d.cardIds && d.cardIds.length !== d.rows) throw new RangeError(`${name}: cardIds has ${d.cardIds.length} entries for ${d.rows} rows`);
  for (let i = 0; i < d.rows; i++) {
    if (d.y[i]! > 1) throw new RangeError(`${name}: label ${d.y[i]} at row ${i} is not 0 or 1`);
  }
}
