/**
 * @sluice/test-support: the helpers every package's tests share (never published).
 * Must never hold a helper that only one package uses: those stay in that package's test/.
 */

export { listen, start, type Listening, type Running } from './start.js';
export { connect, raw, sendAndReset, type RawOptions, type RawReply, type RecordingSocket } from './raw-socket.js';
export { eventually } from './eventually.js';
export { recordingLogger, type LogLine, type RecordingLogger } from './recording-logger.js';
