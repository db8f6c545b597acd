/**
 * Rewords a file system error on one of the agent's files so that it names the path and the fix.
 * `what` names the file (`token file`) and `flag` the option that sets it (`--token-file`).
 */
export function describeFileError(error: unknown, file: string, what: string, flag: string): Error {
  return new Error(fileErrorMessage(error, file, what, flag), { cause: error });
}

function fileErrorMessage(error: unknown, file: string, what: string, flag: string): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EISDIR':
      return `${what} ${file} is a directory, not a file; remove the directory or pick another ${flag}`;
    case 'ENOTDIR':
      return `${what} ${file} cannot exist because a parent of it is not a directory; pick another ${flag}`;
    case 'EACCES':
    case 'EPERM':
      return `${what} ${file}: permission denied; run the agent as root or fix the owner and mode of the file and its directory`;
    case 'EROFS':
      return `${what} ${file} is on a read-only file system; pick another ${flag} on a writable one`;
    default:
      return `cannot use ${what} ${file}: ${error instanceof Error ? error.message : String(error)}; check the path or pick another ${flag}`;
  }
}
