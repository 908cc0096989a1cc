export { rootErrorCode } from './error-code';
export { ERROR_CATALOGUE, ERROR_CODES, WailError, isWailError } from './wail-error';
export type { ErrorCode, WailErrorOptions } from './wail-error';
