import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeFileError } from './file-errors';

/** Random bytes in a new token: 256 bits, written as 43 base64url characters. */
const TOKEN_BYTES = 32;
/** Shortest token accepted from an existing file, so a truncated file is noticed. */
const MIN_TOKEN_LENGTH = 16;

export interface LoadedToken {
  token: string;
  created: boolean;
}

/**
 * Reads the bearer token from `file`, or, when the file does not exist, writes a new random one
 * with mode 0600 (its directory 0700). A file that exists is used as is, whatever its mode.
 */
export async function loadOrCreateToken(file: string): Promise<LoadedToken> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw describeFileError(error, file, 'token file', '--token-file');
  }
  if (text !== undefined) {
    const token = text.trim();
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      throw new Error(`token file ${file} does not contain a token (${MIN_TOKEN_LENGTH} or more characters, no spaces); delete it to get a new one`);
    }
    return { token, created: false };
  }

  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    // 'wx' fails if another process made the file in the meantime, rather than overwrite its token.
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw describeFileError(error, file, 'token file', '--token-file');
  }
  return { token, created: true };
}

/** Compares a request's Authorization header with the token in constant time. */
export function createTokenCheck(token: string): (header: string | undefined) => 'ok' | 'missing' | 'wrong' {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    if (!header) return 'missing';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return 'wrong';
    const given = createHash('sha256').update(match[1]!).digest();
    return timingSafeEqual(given, expected) ? 'ok' : 'wrong';
  };
}
