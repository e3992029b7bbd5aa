/**
 * picochain-mongo-config: the Node-RED config node that owns one MongoClient for the picochain
 * nodes that use it. Thin wrapper over core.ts; API in docs/ARCHITECTURE.md.
 */
import { nodeLogSink } from '../shared/node-log';
import type { NodeAPI, NodeDef } from 'node-red';
import type { MongoConfigNode } from './api';
import { translator } from '../shared/catalog';
import { checkSettings, ConnectionState, DEFAULT_CONNECT_TIMEOUT_MS, expandEnv, MongoConnection, MongoSettings, redact, unsetEnvProblem } from './core';

interface MongoConfigDef extends NodeDef {
    uri: string;
    database: string;
    tls: boolean;
    tlsCAFile: string;
    tlsInsecure: boolean;
    connectTimeout: number | string;
}

const WHOLE_ENV = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export = function (RED: NodeAPI): void {
    function PicochainMongoConfig(this: MongoConfigNode, def: MongoConfigDef): void {
        RED.nodes.createNode(this, def);
        const node = this;
        const lookup = (name: string): string | undefined => {
            const v = RED.util.evaluateNodeProperty(name, 'env', node, {} as never);
            return v === undefined || v === null ? undefined : String(v);
        };
        // Node-RED substitutes a property that is exactly ${VAR}; we also expand ${VAR} inside
        // a field, and in credentials when the whole value is ${VAR} (docker secrets, .env)
        const cred = (v: string | undefined): string | undefined => (v && WHOLE_ENV.test(v) ? expandEnv(v, lookup) : v);
        const creds = node.credentials || {};
        const settings: MongoSettings = {
            uri: expandEnv(def.uri, lookup).trim(),
            database: expandEnv(def.database, lookup).trim(),
            user: cred(creds.user) || undefined,
            password: cred(creds.password) || undefined,
            tls: def.tls === true || (def.tls as unknown) === 'true',
            tlsCAFile: expandEnv(def.tlsCAFile || '', lookup).trim() || undefined,
            tlsAllowInvalidCertificates: def.tlsInsecure === true || (def.tlsInsecure as unknown) === 'true',
            connectTimeoutMs: def.connectTimeout === '' || def.connectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : Number(def.connectTimeout),
        };
        const secrets = [settings.password, creds.password];
        const scrub = (text: unknown): string => redact(text, secrets);

        const conn = new MongoConnection(settings, {
            log: nodeLogSink(node, scrub),
        });
        // an unset ${VAR} is named, rather than reported as the bad value it expands to
        const fromEnv = { 'connection string': def.uri, 'database name': def.database, 'CA file': settings.tls ? def.tlsCAFile : '' };
        const problem = unsetEnvProblem(fromEnv, lookup) ?? checkSettings(settings);
        if (problem) {
            node.error(translator(RED._, __dirname, 'picochain-mongo-config')('errors.invalid', { problem: scrub(problem) }));
        }

        node.databaseName = settings.database;
        node.connection = conn;
        node.register = (user) => {
            if (problem) { node.emit('state', 'error'); return; }
            conn.register(user);
        };
        node.deregister = (user, done) => {
            conn.deregister(user);
            if (typeof done === 'function') done();
        };
        // every writer and history node listens to 'state': no leak warning at 11 users
        (node as unknown as { setMaxListeners(n: number): void }).setMaxListeners(0);
        node.getDb = () => (problem ? Promise.reject(new Error(scrub(problem))) : conn.getDb());
        node.isConnected = () => conn.isConnected();
        node.state = () => (problem ? 'error' : conn.currentState);
        const t = translator(RED._, __dirname, 'picochain-mongo-config');
        node.failure = () => (problem ? t('failure.settings') : conn.currentState === 'error' && conn.failure ? t(`failure.${conn.failure}`) : '');
        node.redact = scrub;
        conn.on('state', (s: ConnectionState) => node.emit('state', s));

        node.on('close', (_removed: boolean, done: () => void) => {
            conn.close().then(() => done(), () => done());
        });
    }

    RED.nodes.registerType('picochain-mongo-config', PicochainMongoConfig as never, {
        credentials: {
            user: { type: 'text' },
            password: { type: 'password' },
        },
    });
};
