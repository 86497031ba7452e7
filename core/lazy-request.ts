// Request fields read without materializing WHATWG objects the hot path does not need.

/** The request's header list as [name, value] pairs, lowercase names, in order. */
export function headerPairs(request: Request): [string, string][] {
  return [...request.headers];
}
