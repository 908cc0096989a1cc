export { ColumnCache } from './column-cache';
export { TurnBatcher } from './turn-batcher';
export { SCAN_OPERATORS, SCAN_PAGE_LIMIT } from './store';
export {
  SCAN_CURSOR_MAX_LENGTH,
  checkScanRequest,
  checkedScanLimit,
  conditionHolds,
  decodeScanCursor,
  encodeScanCursor,
  pageConditions,
  scanPage,
  scannedKey,
} from './scan';
export type { ConditionTypes, PageCondition } from './scan';
export {
  canonicalKeyColumns,
  inKeyOrder,
  routeTableProblems,
  sameKeyValue,
  tombstoneKey,
} from './keys';
export type {
  ColumnInfo,
  JsonValue,
  PreparedWrite,
  ReadConsistency,
  ReadResult,
  RowStore,
  ScanCondition,
  ScannedRow,
  ScanOperator,
  ScanPage,
  ScanRequest,
  StoreConnection,
  StoreKind,
  StoredValue,
  TableRef,
  WriteRequest,
} from './store';
export {
  IDENTIFIER,
  assertColumnName,
  badValue,
  checkedColumns,
  isoToMicros,
  microsToIso,
  storedToJson,
  toBigInt,
  toBoolean,
  toBytes,
  toDateString,
  toDecimalString,
  toFloat,
  toSmallInt,
  toText,
} from './values';
