# On-device state per sensor (0 ok, 1 warning, 2 alarm) from level and slope thresholds with
# hysteresis, and the LED blink pattern for the board's overall state.

OK = 0
WARNING = 1
ALARM = 2

# LED patterns: (on ms, off ms) pairs repeated; README "LED codes" documents them.
LED_PATTERNS = {
    "ok": ((50, 4950),),  # a short blip every 5 s
    "warning": ((500, 500),),  # 1 Hz
    "alarm": ((100, 100),),  # 5 Hz
    "no-wifi": ((200, 200), (200, 1400)),  # 2 blinks
    "no-broker": ((200, 200), (200, 200), (200, 1000)),  # 3 blinks
    "config": ((1000, 300), (300, 300), (300, 300), (300, 1500)),  # long + 3 short: fix config.json
}


def _over(v, bound, held, hyst):
    # enter above bound; once held, stay until the value is `hyst` back inside
    if bound is None or v is None:
        return False
    return v > (bound - hyst if held else bound)


def _under(v, bound, held, hyst):
    if bound is None or v is None:
        return False
    return v < (bound + hyst if held else bound)


class SensorState:
    """The state of one sensor, updated once per window from its mean and slope."""

    def __init__(self, th):
        self.th = th
        self.state = OK
        self.cause = None  # "high" | "low" | "slope" | None

    def update(self, mean, slope):
        """New state from a window's mean and slope (None = no data: state kept)."""
        if mean is None:
            return self.state
        t = self.th
        h = t["hysteresis"]
        hs = t["slope_hysteresis"]
        s = self.state
        level = OK
        cause = None
        # each condition at alarm level, then warning level; a level is "held" when the
        # current state is at least that level (hysteresis only holds what was entered)
        for lvl, hi, lo, sl in ((ALARM, t["alarm_high"], t["alarm_low"], t["alarm_slope"]),
                                (WARNING, t["warn_high"], t["warn_low"], t["warn_slope"])):
            held = s >= lvl
            if _over(mean, hi, held, h):
                level, cause = lvl, "high"
            elif _under(mean, lo, held, h):
                level, cause = lvl, "low"
            elif _over(slope, sl, held, hs):
                level, cause = lvl, "slope"
            if level:
                break
        self.state = level
        self.cause = cause
        return level


def led_mode(overall, wifi_up, broker_up):
    """Which LED pattern shows: alarms first, then the link, then ok/warning."""
    if overall >= ALARM:
        return "alarm"
    if not wifi_up:
        return "no-wifi"
    if not broker_up:
        return "no-broker"
    return "warning" if overall == WARNING else "ok"
