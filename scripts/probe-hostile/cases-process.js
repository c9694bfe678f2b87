'use strict';
async function run() {}
module.exports = { run };
