// The field kinds, exported as one namespace (`fields.integer(1, 10)`) so app schemas read as a table.
export { integer, decimal, boolean, switchFlag, choice, text, pathField as path, parsed, url, byteSize, listenAddress, list, fileContents, secretFile, secret, MIN_SECRET_LENGTH } from './fields';
