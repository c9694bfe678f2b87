// forceExit: every test passes, but one handle outlives the last test (not yet found: no child
// process or socket is left; likely a timer or the journal's I/O thread held by a write that a
// test abandoned), and jest would wait on it forever. Remove once --detectOpenHandles names it.
module.exports = { ...require('../../jest.preset.js')(__dirname), forceExit: true };
