'use strict';
// The benches' `--name value` flags, read the same way in every script.

/** The number after `--name`, or `fallback` when the flag is absent. */
function numberArg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The text after `--name`, or `fallback` when the flag is absent. */
function stringArg(name, fallback = undefined) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

module.exports = { numberArg, stringArg };
