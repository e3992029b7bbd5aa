/** Log levels the pure cores report at; the wrapper maps them onto the node's log methods. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The part of a Node-RED node a log sink needs (kept structural so cores stay free of Node-RED). */
export interface LoggingNode {
    debug(msg: unknown): void;
    log(msg: unknown): void;
    warn(msg: unknown): void;
    error(msg: unknown): void;
}

/**
 * A `(level, text)` sink writing to a node's log, each line passed through `scrub` first
 * (e.g. the config node's redact(), so a password never reaches the log).
 */
export function nodeLogSink(node: LoggingNode, scrub: (text: unknown) => string = String): (level: LogLevel, text: unknown) => void {
    return (level, text) => {
        const line = scrub(text);
        if (level === 'error') node.error(line);
        else if (level === 'warn') node.warn(line);
        else if (level === 'info') node.log(line);
        else node.debug(line);
    };
}
