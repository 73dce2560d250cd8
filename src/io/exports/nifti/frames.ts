/**
 * Each frame of an instance as a slice's attributes, for a volume: a single-frame instance is its
 * one slice; a multi-frame instance gives as many as its frames, as its geometry says:
 * - Enhanced images (CT, MR, PET, …): each frame's functional groups (PerFrameFunctionalGroups
 *   over SharedFunctionalGroups over the instance's own attributes), their macros' attributes
 *   lifted to the top (PlanePositionSequence's ImagePositionPatient, PlaneOrientationSequence's
 *   ImageOrientationPatient, PixelMeasuresSequence's PixelSpacing and SliceThickness,
 *   PixelValueTransformationSequence's rescale, …), as dcm2niix reads them;
 * - other multi-frame images with one ImagePositionPatient and ImageOrientationPatient and a
 *   SpacingBetweenSlices (NM tomography, some 3-D MR): frame k at k × spacing along the normal.
 * Anything else (cine loops, multi-frame secondary captures) has no per-frame position: no volume.
 */
import { liftMacros, sharedGroups } from '../../../core/functionalGroups';
import type { Attributes, Instance } from '../instances';
import { cross, nums, type Vec } from './volume';

/** The attributes of each frame of an instance, in frame order, or why it has no geometry. */
export function frameAttributes(instance: Instance): Attributes[] | { reason: string } {
  const a = instance.attributes;
  const count = instance.frameIds.length;
  if (count === 1) return [a];
  const perFrame = a['PerFrameFunctionalGroupsSequence'];
  if (Array.isArray(perFrame)) {
    if (perFrame.length !== count)
      return {
        reason: `a multi-frame instance with ${perFrame.length} per-frame functional groups for ${count} frames`,
      };
    const shared = sharedGroups(a);
    return perFrame.map((item) => ({ ...a, ...shared, ...liftMacros(item) }));
  }
  const position = nums(a['ImagePositionPatient']);
  const orientation = nums(a['ImageOrientationPatient']);
  const spacing = nums(a['SpacingBetweenSlices'])[0];
  if (position.length !== 3 || orientation.length !== 6 || !spacing)
    return { reason: 'a multi-frame instance without a position for each frame' };
  const n = cross(orientation.slice(0, 3) as Vec, orientation.slice(3, 6) as Vec);
  const length = Math.hypot(...n);
  return Array.from({ length: count }, (_, k) => ({
    ...a,
    ImagePositionPatient: position.map((p, i) => String(p + (k * spacing * n[i]!) / length)),
  }));
}
