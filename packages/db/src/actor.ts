import { z } from 'zod';
import { displayNameSchema } from './names';

const idSchema = z.string().min(1).max(128);

/**
 * Person who makes a change. For now the dashboard sends a display name per browser session; `userId`
 * is where an account id goes once koko has accounts.
 */
export const actorSchema = z.object({
  name: displayNameSchema,
  userId: idSchema.optional(),
  sessionId: idSchema.optional(),
});
export type Actor = z.infer<typeof actorSchema>;
export type ActorInput = z.input<typeof actorSchema>;

/** The actor of changes koko makes on its own, such as marking a link drifted. */
export const SYSTEM_ACTOR: Actor = { name: 'koko' };
