// Responses whose whole body is known as bytes: adapters write those in one go instead of reading the body stream.
//
// Reading a WHATWG body costs a reader and several promise turns per response, a large share of a small request's
// time on the host. A response made here carries its bytes beside its stream; anyone may still read the stream.
const known = new WeakMap<Response, Uint8Array>();

/** `new Response(bytes, init)`, remembered as complete. */
export function bytesResponse(bytes: Uint8Array, init?: ResponseInit): Response {
  const response = new Response(bytes as BodyInit, init);
  known.set(response, bytes);
  return response;
}

/** The bytes of a response made by `bytesResponse`, unless its stream was read meanwhile (then the stream is the truth). */
export function completeBody(response: Response): Uint8Array | undefined {
  return response.bodyUsed ? undefined : known.get(response);
}
