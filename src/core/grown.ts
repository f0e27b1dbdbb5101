// How the PortTable's growable arrays get bigger: a new array, the old contents copied in. Control path only; the
// hot path holds no reference across a mutator, so replacing an array is safe.

/** A copy of `a` with room for `cap` entries (cap ≥ a.length), zero-filled past the old end. */
export function grown<T extends Int16Array | Int32Array | Uint32Array | Float64Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}
