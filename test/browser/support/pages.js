// What the dashboard tests look at on a page: layout at a given width, card and row states, and
// frames published for a test device (one the simulated fleet does not have).
'use strict';

/**
 * Layout problems of the page at its current width, as text (empty when none): the page scrolls
 * sideways, a picochain element sticks out of the viewport (outside a .pc-scroll box, which may
 * scroll), a card's text overflows the card, or the dashboard's navigation covers the content.
 */
async function layoutProblems(page) {
    return page.evaluate(() => {
        const out = [];
        const vw = document.documentElement.clientWidth;
        const doc = document.scrollingElement || document.documentElement;
        if (doc.scrollWidth > vw + 1) out.push(`the page scrolls sideways: ${doc.scrollWidth} px > ${vw} px`);
        const nav = document.querySelector('.v-navigation-drawer--active');
        const navRight = nav ? nav.getBoundingClientRect().right : 0;
        for (const el of document.querySelectorAll('[data-pc]')) {
            const r = el.getBoundingClientRect();
            if (!r.width || !r.height) continue;
            const box = el.closest('.pc-scroll');
            const limit = box ? box.getBoundingClientRect() : { left: 0, right: vw };
            if (box && (limit.right > vw + 1)) out.push(`a scroll box ends at ${Math.round(limit.right)} px, beyond ${vw} px`);
            if (!box && r.right > vw + 1) out.push(`[data-pc=${el.dataset.pc}] ends at ${Math.round(r.right)} px, beyond ${vw} px`);
            if (r.left < navRight - 1 && r.top > nav.getBoundingClientRect().top) out.push(`[data-pc=${el.dataset.pc}] starts at ${Math.round(r.left)} px, under the navigation (${Math.round(navRight)} px)`);
        }
        for (const c of document.querySelectorAll('[data-pc=card]')) {
            if (c.scrollWidth > c.clientWidth + 1) out.push(`card ${c.dataset.device}/${c.dataset.sensor}: text overflows (${c.scrollWidth} > ${c.clientWidth} px)`);
        }
        return [...new Set(out)].slice(0, 10).join('; ');
    });
}

/** A picochain JSON frame v1 of one probe window (firmware/PROTOCOL.md). */
function frame(device, seq, mean, tsS) {
    return JSON.stringify({
        v: 1, device, site: 'test', seq, ts: tsS, synced: true, window: 60,
        sensors: [{ sensor: 'probe1', unit: '°C', count: 6, min: mean - 0.1, max: mean + 0.1, mean, std: 0.05, slope: 0, last: mean, state: 0 }],
    });
}

/** Text of the elements matching `sel`, trimmed. */
function texts(page, sel) {
    return page.$$eval(sel, (els) => els.map((e) => e.textContent.trim()));
}

module.exports = { layoutProblems, frame, texts };
