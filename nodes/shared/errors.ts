/**
 * Error helpers shared by the picochain wrappers: whatever a core throws becomes an Error, which
 * is what `done(err)` needs so Catch nodes see it with the message.
 */

/** Turns anything thrown (Error, string, object) into an Error, keeping an Error as it is. */
export function toError(e: unknown): Error {
    if (e instanceof Error) return e;
    if (typeof e === 'string') return new Error(e);
    try {
        return new Error(JSON.stringify(e));
    } catch {
        return new Error(String(e));
    }
}
