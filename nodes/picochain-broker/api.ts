/**
 * The runtime API a picochain-broker config node offers its users (docs/ARCHITECTURE.md).
 * Types only, so picochain-mqtt-in imports it without loading the node.
 */
import type { Node } from 'node-red';
import type { BrokerConnection, BrokerState } from './connection';

export type { BrokerState };

export interface BrokerCredentials {
    user?: string;
    password?: string;
}

/**
 * A picochain-broker node. Users subscribe through `connection` (it connects on the first
 * subscriber) and listen to `connection.on('state', (state, reason) => …)`; remove the listener on
 * close. `problem` is set when the settings cannot work (then there is no connection).
 */
export interface BrokerConfigNode extends Node<BrokerCredentials> {
    connection: BrokerConnection | null;
    problem: string | null;
}
