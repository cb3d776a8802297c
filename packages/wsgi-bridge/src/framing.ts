/**
 * The WSGI side of the frame protocol of `@sluice/python-workers`: the shared codec and
 * frame types, and the REQUEST frame's flag only WSGI uses. Must never encode or decode
 * frames itself: the shared codec does.
 */

export { encodeFrame, encodeU32Frame, FrameDecoder, FromWorker, HEADER_BYTES, MAX_FRAME_BYTES, ToWorker } from '@sluice/python-workers';

/** REQUEST frame flag: the request has a body, `wsgi.input` pulls it. */
export const FLAG_HAS_BODY = 1;
