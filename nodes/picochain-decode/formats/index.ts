/**
 * The payload formats picochain-decode knows, in detection order. Auto-detection asks each
 * format's `detect` on the raw payload, then (if none took it) on the parsed JSON object; a
 * forced format takes every payload, except status messages which are always recognised.
 * Adding a format: one file in this folder exporting a PayloadFormat, one line below
 * (docs/ARCHITECTURE.md, "Adding a payload format").
 */
import type { PayloadFormat } from '../context';
import { binaryV1 } from './binary-v1';
import { jsonV1 } from './json-v1';
import { legacy } from './legacy';
import { status } from './status';
import { ttnV3 } from './ttn-v3';

export const FORMATS: readonly PayloadFormat[] = [
    status,
    binaryV1,
    jsonV1,
    ttnV3,
    legacy,
];
