import { KokoError, VNI_MAX, VNI_MIN } from '@koko/core';
import type { DbTransaction, KokoDatabase } from './database';

export interface NumberRange {
  min: number;
  max: number;
}

/** VNIs koko hands out when the user gives none: the whole 24-bit space. */
export const DEFAULT_VNI_RANGE: NumberRange = { min: VNI_MIN, max: VNI_MAX };

/**
 * Interface groups for labs. They start at 1000 to stay clear of the small numbers people assign
 * by hand in /etc/iproute2/group, where 0 is the kernel's default group. They end at 2^31 - 1
 * because a Prisma Int is a signed 32-bit number, though the kernel allows unsigned 32 bits.
 */
export const LAB_GROUP_RANGE: NumberRange = { min: 1000, max: 2_147_483_647 };

/** Returns the lowest number in `range` that is not in `used` (sorted ascending), or undefined. */
export function lowestFree(used: number[], range: NumberRange): number | undefined {
  let candidate = range.min;
  for (const value of used) {
    if (value < candidate) continue;
    if (value > candidate) break;
    candidate++;
  }
  return candidate <= range.max ? candidate : undefined;
}

function checkRange(range: NumberRange, limits: NumberRange, what: string): void {
  const valid = Number.isInteger(range.min) && Number.isInteger(range.max) && range.min >= limits.min && range.max <= limits.max && range.min <= range.max;
  if (!valid) {
    throw new KokoError('invalid', `${what} range ${range.min}-${range.max} is invalid; use whole numbers with ${limits.min} <= min <= max <= ${limits.max}`);
  }
}

/**
 * Returns the lowest VNI in `range` that no link holds, inside a write transaction so that no
 * other writer takes it before the caller's insert commits. The unique index on Link.vni backs
 * this up for writers that bypass it. VNIs are unique across all labs, not only within one,
 * because two labs on the same hosts would otherwise make two vxlans with one VNI on one parent
 * interface, which the kernel rejects.
 */
export async function allocateVniIn(transaction: DbTransaction, range: NumberRange = DEFAULT_VNI_RANGE): Promise<number> {
  const [vni] = await allocateVnisIn(transaction, 1, new Set(), range);
  return vni!;
}

/**
 * Returns the `count` lowest VNIs in `range` that no link uses and that are not in `reserved`
 * (VNIs a batch names itself), inside a write transaction like allocateVniIn.
 */
export async function allocateVnisIn(transaction: DbTransaction, count: number, reserved: ReadonlySet<number>, range: NumberRange = DEFAULT_VNI_RANGE): Promise<number[]> {
  if (count === 0) return [];
  checkRange(range, DEFAULT_VNI_RANGE, 'VNI');
  const rows = await transaction.link.findMany({ where: { vni: { gte: range.min, lte: range.max } }, select: { vni: true } });
  const inUse = new Set([...rows.map((row) => row.vni!), ...reserved]);

  const vnis: number[] = [];
  for (let candidate = range.min; candidate <= range.max && vnis.length < count; candidate++) {
    if (!inUse.has(candidate)) vnis.push(candidate);
  }
  if (vnis.length === 0) {
    throw new KokoError('conflict', `every VNI from ${range.min} to ${range.max} is held by a link; delete vxlan links you no longer need or allow a wider range`);
  }
  if (vnis.length < count) {
    throw new KokoError('conflict', `only ${vnis.length} VNIs from ${range.min} to ${range.max} are free, and ${count} links need one; delete vxlan links you no longer need or allow a wider range`);
  }
  return vnis;
}

/** Returns the VNI the next vxlan link would get. It reserves nothing: createLink allocates its own. */
export function previewVni(db: KokoDatabase, range: NumberRange = DEFAULT_VNI_RANGE): Promise<number> {
  return db.write((transaction) => allocateVniIn(transaction, range));
}

/** Returns the lowest interface group no lab uses. */
export async function allocateLabGroupIn(transaction: DbTransaction): Promise<number> {
  const rows = await transaction.lab.findMany({ where: { group: { gte: LAB_GROUP_RANGE.min } }, select: { group: true }, orderBy: { group: 'asc' } });
  const group = lowestFree(
    rows.map((row) => row.group),
    LAB_GROUP_RANGE,
  );
  if (group === undefined) throw new KokoError('conflict', 'every interface group is taken by a lab; delete labs you no longer need');
  return group;
}
