/**
 * An Enhanced image's functional groups (SharedFunctionalGroupsSequence and
 * PerFrameFunctionalGroupsSequence): each item holds macros, each a sequence of one item, whose
 * attributes (PlanePositionSequence's ImagePositionPatient, FrameVOILUTSequence's window,
 * PixelValueTransformationSequence's rescale, …) apply to the frame as if they stood at the top,
 * as dcm2niix reads them. Used by the viewer's pixel description and the NIfTI export's slices.
 */
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A functional groups item's macros flattened into attributes. */
export function liftMacros(item: unknown): Json {
  const out: Json = {};
  if (!isObject(item)) return out;
  for (const value of Object.values(item))
    if (Array.isArray(value) && isObject(value[0])) Object.assign(out, value[0]);
  return out;
}

/** The shared functional groups of an instance's attributes, lifted (none: empty). */
export function sharedGroups(attributes: Json): Json {
  const shared = attributes['SharedFunctionalGroupsSequence'];
  return liftMacros(Array.isArray(shared) ? shared[0] : undefined);
}
