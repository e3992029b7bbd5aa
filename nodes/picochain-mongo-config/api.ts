/**
 * The runtime API a picochain-mongo-config node offers its users (docs/ARCHITECTURE.md).
 * Types only, so users (picochain-mongo-ts, picochain-history) import it without loading the node.
 */
import type { Node } from 'node-red';
import type { Db } from 'mongodb';
import type { ConnectionState, MongoConnection } from './core';

export type { ConnectionState };

export interface MongoConfigCredentials {
    user?: string;
    password?: string;
}

/**
 * A picochain-mongo-config node. Besides these members it emits 'state' (ConnectionState) as an
 * EventEmitter: `(config as unknown as EventEmitter).on('state', fn)`; remove the listener on close.
 */
export interface MongoConfigNode extends Node<MongoConfigCredentials> {
    databaseName: string;
    connection: MongoConnection;
    /** Call in the user's constructor; the client connects while at least one user is registered. */
    register(user: Node): void;
    /** Call on the user's close, after its last database operation; `done` is called once deregistered. */
    deregister(user: Node, done?: () => void): void;
    /** Resolves once connected (waits while the server is unreachable); rejects when closing or misconfigured. */
    getDb(): Promise<Db>;
    isConnected(): boolean;
    /** Current connection state (also emitted as 'state' events). */
    state(): ConnectionState;
    /** While the state is 'error': why, short and translated (wrong credentials, TLS refused), else ''. */
    failure(): string;
    /** Removes this node's password (and any connection-string password) from a text or error. */
    redact(text: unknown): string;
}
