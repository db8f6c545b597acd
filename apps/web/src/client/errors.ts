/** Returns the message to show for a failed controller call: the controller's own text when it sent one. */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message === 'Failed to fetch' || error.message.startsWith('NetworkError')) {
    return 'the koko server did not respond; check that it is running, then try again';
  }
  return error.message;
}
