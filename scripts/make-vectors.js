// Regenerates test/vectors/frames.json from the cases below with the TypeScript codec.
// Run after a deliberate protocol change only: the firmware must then match the new bytes.
const fs = require('fs');
const path = require('path');
const { encodeBinaryFrame, encodeJsonFrame, sensorCode } = require('../dist/nodes/shared/codec');

const t = (s) => ({ unit: '°C', state: 0, ...s });
const cases = [
    { name: 'one onboard sensor, typical fridge window', frame: { v: 1, device: 'fridge-1', site: 'foodbank', seq: 42, ts: 1732460400, synced: true, window: 60,
        sensors: [t({ sensor: 'temperature', count: 6, min: 3.91, max: 4.42, mean: 4.1, std: 0.18, slope: 0.05, last: 4.2 })] } },
    { name: 'freezer, negative values and falling slope', frame: { v: 1, device: 'freezer-2', site: 'foodbank', seq: 65535, ts: 1764000000, synced: true, window: 3600,
        sensors: [t({ sensor: 'probe1', count: 360, min: -21.37, max: -17.02, mean: -18.655, std: 1.2345, slope: -0.0125, last: -18.5, state: 1 })] } },
    { name: 'two sensors, one probe unplugged', frame: { v: 1, device: 'fridge-3', seq: 7, ts: 1764003600, synced: true, window: 60,
        sensors: [t({ sensor: 'temperature', count: 6, min: 5.5, max: 6.25, mean: 5.875, std: 0.25, slope: 0.3, last: 6.25, state: 2 }),
                  t({ sensor: 'probe2', count: 0, min: null, max: null, mean: null, std: null, slope: null, last: null, fault: 'no-samples' })] } },
    { name: 'clock not synced (seconds since boot), no state', frame: { v: 1, device: 'fridge-4', seq: 0, ts: 95, synced: false, window: 60,
        sensors: [{ sensor: 'temperature', unit: '°C', count: 5, min: 20.125, max: 20.135, mean: 20.13, std: 0.004, slope: null, last: 20.135 }] } },
    { name: 'raw sample (window 0) with humidity', frame: { v: 1, device: 'pico_1', seq: 300, ts: 1764007200, synced: true, window: 0,
        sensors: [{ sensor: 'humidity', unit: '%', count: 1, min: 61.5, max: 61.5, mean: 61.5, std: 0, slope: null, last: 61.5, state: 0 }] } },
    { name: 'values beyond the binary range are clamped', frame: { v: 1, device: 'oven-1', seq: 12, ts: 1764010800, synced: true, window: 60,
        sensors: [t({ sensor: 'probe31', count: 6, min: -400, max: 400.5, mean: 350.12345, std: 700, slope: 40, last: 399.99 })] } },
    { name: 'rounding half away from zero', frame: { v: 1, device: 'fridge-5', seq: 1000, ts: 1764014400, synced: true, window: 10,
        sensors: [t({ sensor: 'temperature', count: 2, min: 2.005, max: 2.015, mean: -2.005, std: 0.00005, slope: -0.0005, last: 0.125 })] } },
    { name: 'sensor without a binary code (JSON only)', frame: { v: 1, device: 'shop-1', site: 'epicerie', seq: 5, ts: 1764018000, synced: true, window: 60,
        sensors: [{ sensor: 'co2', unit: 'ppm', count: 6, min: 410, max: 530, mean: 455.5, std: 40.2, slope: 2.5, last: 530, state: 0 }] } },
];

const out = cases.map(({ name, frame }) => {
    const binary = frame.sensors.every((s) => sensorCode(s.sensor) !== null);
    return { name, frame, json: encodeJsonFrame(frame), hex: binary ? encodeBinaryFrame(frame).toString('hex') : null };
});
const file = path.join(__dirname, '..', 'test', 'vectors', 'frames.json');
fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${out.length} vectors to ${path.relative(process.cwd(), file)}`);
