'use strict';
// docs/compose.yaml (docs/SCALING.md): no container engine runs here, so its structure is checked:
// two picochain instances with one share group and their own identities and data, the broker and
// the database they name, the files it mounts, no secret in it, flags npm start knows.
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const root = path.join(__dirname, '..', '..');
const file = path.join(root, 'docs', 'compose.yaml');
const text = fs.readFileSync(file, 'utf8');
// `<<: *anchor` merge keys, as Docker Compose reads them
const compose = YAML.parse(text, { merge: true });
const services = compose.services || {};
const nodeReds = Object.entries(services).filter(([, s]) => Array.isArray(s.command) && s.command.includes('scripts/start.js'));
const flag = (s, name) => { const i = s.command.indexOf(name); return i >= 0 ? s.command[i + 1] : undefined; };
/** `host:container[:mode]` entries of a service; host made absolute when it is a path (else a named volume). */
const mounts = (s) => (s.volumes || []).map((v) => {
    const [src, dst] = v.split(':');
    return { src, dst, bind: src.startsWith('.') || src.startsWith('/'), abs: path.resolve(path.dirname(file), src) };
});
const serviceOf = (image) => Object.entries(services).find(([, s]) => image.test(s.image || ''));

describe('docs/compose.yaml', function () {
    it('starts two picochain instances with the same share group, their own identities, data and ports', function () {
        assert.strictEqual(nodeReds.length, 2, `two services run scripts/start.js: ${nodeReds.map(([n]) => n)}`);
        const [a, b] = nodeReds.map(([, s]) => s);
        assert.ok(flag(a, '--share-group'), 'a share group');
        assert.strictEqual(flag(a, '--share-group'), flag(b, '--share-group'), 'the same share group');
        assert.ok(a.environment.MQTT_USERNAME && b.environment.MQTT_USERNAME);
        assert.notStrictEqual(a.environment.MQTT_USERNAME, b.environment.MQTT_USERNAME, 'one broker identity each');
        assert.notStrictEqual(a.environment.MQTT_PASSWORD, b.environment.MQTT_PASSWORD, 'a password each');
        const data = [a, b].map((s) => mounts(s).find((m) => m.dst === flag(s, '--data')));
        assert.ok(data.every((m) => m && !m.bind), 'each --data is a named volume');
        assert.notStrictEqual(data[0].src, data[1].src, 'its own data directory (spool, user dir)');
        assert.ok(data.every((m) => m.src in compose.volumes), 'declared volumes');
        const host = (s) => s.ports.map((p) => p.split(':')[0]);
        assert.deepStrictEqual(host(a).filter((p) => host(b).includes(p)), [], 'distinct editor ports on the host');
        for (const s of [a, b]) assert.ok(s.command.includes('--no-sim'), 'real boards only');
    });

    it('names the broker and database services the instances use, and waits for them', function () {
        const broker = serviceOf(/^(eclipse-mosquitto|emqx)/);
        const db = serviceOf(/^mongo:/);
        assert.ok(broker, 'a Mosquitto or EMQX service');
        assert.ok(db, 'a MongoDB service');
        for (const [name, s] of nodeReds) {
            assert.strictEqual(new URL(flag(s, '--mqtt-url')).hostname, broker[0], `${name} reaches the broker service`);
            assert.strictEqual(new URL(flag(s, '--mongodb-uri')).hostname, db[0], `${name} reaches the database service`);
            assert.ok(broker[0] in s.depends_on && db[0] in s.depends_on, `${name} waits for both`);
        }
        // a replica set: what MongoDB needs for sharding and change streams later (docs/SCALING.md)
        assert.ok(db[1].command.includes('--replSet'));
        assert.match(flag(nodeReds[0][1], '--mongodb-uri'), /replicaSet=/);
    });

    it('mounts docs/mosquitto.conf, whose persistence is on and kept in a volume', function () {
        const [, broker] = serviceOf(/^eclipse-mosquitto/);
        const conf = mounts(broker).find((m) => m.dst === '/mosquitto/config/mosquitto.conf');
        assert.ok(conf && conf.bind, 'the broker reads a configuration file of the repository');
        assert.strictEqual(path.relative(root, conf.abs), path.join('docs', 'mosquitto.conf'));
        const lines = fs.readFileSync(conf.abs, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
        assert.ok(lines.includes('persistence true'), 'persistence true');
        const location = (lines.find((l) => l.startsWith('persistence_location ')) || '').split(/\s+/)[1];
        assert.ok(location, 'persistence_location');
        const kept = mounts(broker).find((m) => path.posix.normalize(`${m.dst}/`) === path.posix.normalize(`${location}/`));
        assert.ok(kept && !kept.bind && kept.src in compose.volumes, `${location} is a named volume`);
        // every file the configuration names is mounted
        for (const key of ['password_file', 'acl_file', 'certfile', 'keyfile']) {
            const p = (lines.find((l) => l.startsWith(`${key} `)) || '').split(/\s+/)[1];
            assert.ok(p && mounts(broker).some((m) => m.dst === p), `${key} ${p} is mounted`);
        }
    });

    it('mounts files of the repository, and secrets only from docs/secrets/, which git ignores', function () {
        const secrets = path.join(root, 'docs', 'secrets');
        for (const [name, s] of Object.entries(services)) {
            for (const m of mounts(s).filter((x) => x.bind)) {
                assert.ok(m.abs === root || m.abs.startsWith(`${root}${path.sep}`), `${name}: ${m.src} is inside the repository`);
                if (m.abs.startsWith(`${secrets}${path.sep}`)) {
                    // created by the operator (docs/SCALING.md); `git check-ignore` exits 1 when not ignored
                    execFileSync('git', ['check-ignore', '-q', path.relative(root, m.abs)], { cwd: root });
                } else {
                    assert.ok(fs.existsSync(m.abs), `${name}: ${m.src} exists`);
                }
            }
        }
    });

    it('holds no secret: passwords are environment references', function () {
        for (const [name, s] of Object.entries(services)) {
            for (const [k, v] of Object.entries(s.environment || {})) {
                if (/PASSWORD|SECRET|KEY|TOKEN/.test(k)) assert.match(String(v), /^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$/, `${name} ${k} is \${VAR}`);
            }
        }
        assert.doesNotMatch(text, /mqtts?:\/\/[^/\s"]*@|mongodb:\/\/[^/\s"]*@/, 'no credentials in a URL');
    });

    it('uses only options npm start knows, and SCALING.md says how to provision each identity', function () {
        const help = execFileSync(process.execPath, [path.join(root, 'scripts', 'start.js'), '--help'], { encoding: 'utf8' });
        for (const [name, s] of nodeReds) {
            for (const f of s.command.filter((x) => String(x).startsWith('--'))) assert.ok(help.includes(`  ${f} `), `${name}: ${f} is an option of scripts/start.js`);
        }
        const scaling = fs.readFileSync(path.join(root, 'docs', 'SCALING.md'), 'utf8');
        assert.match(scaling, /docs\/compose\.yaml/);
        for (const [, s] of nodeReds) assert.ok(scaling.includes(`--server ${s.environment.MQTT_USERNAME}`), `SCALING.md: npm run provision -- --server ${s.environment.MQTT_USERNAME}`);
    });
});
