// What the simulated fleet tells the device registry (picochain-devices' `devices` collection) before
// it starts: each board's cabinet kind, a display name and the site as location, so the alert rules
// of the right profile judge every board from its first reading, with no hand step. A document that
// already exists is left as it is: what someone assigned on the Fleet page wins.
'use strict';
const { loadScenario, defaultDevices } = require('./fleet');

/** The boards startFleet() will run for these options (same scenario, count and site rules). */
function fleetDevices({ devices, scenario, site } = {}) {
    const sc = loadScenario(scenario);
    const n = devices === undefined ? (sc.devices.length || 6) : Number(devices);
    return { site: site || sc.site || 'demo', devices: defaultDevices(n, sc.devices) };
}

/**
 * The registry document of a simulated board: the probes in the cabinet, and the board's own sensor
 * ("temperature"), which sits outside it and reads the room.
 */
function registryDoc(d, site, now = new Date()) {
    const sensors = { temperature: { unit: '°C', kind: 'ambient' } };
    for (let i = 1; i <= (d.probes || 1); i++) sensors[`probe${i}`] = { unit: '°C' };
    const label = d.id.replace(/^(\w)/, (c) => c.toUpperCase()).replace(/-(\d+)$/, ' $1');
    return { _id: d.id, kind: d.kind, name: label, location: site, sensors, firstSeen: now, updatedAt: now, assignedAt: now, assignedBy: 'simulator' };
}

/** Writes the boards' documents where none exist yet. Resolves to the number written. */
async function seedRegistry({ uri, database, collection = 'devices', devices, scenario, site }) {
    const { MongoClient } = require('mongodb');
    const fleet = fleetDevices({ devices, scenario, site });
    const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 10000 });
    try {
        const col = client.db(database).collection(collection);
        let written = 0;
        for (const d of fleet.devices) {
            const { _id, ...doc } = registryDoc(d, fleet.site);
            const r = await col.updateOne({ _id }, { $setOnInsert: doc }, { upsert: true });
            written += r.upsertedCount || 0;
        }
        return written;
    } finally {
        await client.close();
    }
}

module.exports = { fleetDevices, registryDoc, seedRegistry };
