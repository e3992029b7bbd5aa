# Edge statistics of one sensor over one window, O(1) memory: Welford mean/variance and an
# online least-squares slope (co-moment of value and time), plus count/min/max/last.


class Window:
    __slots__ = ("n", "min", "max", "last", "_mx", "_my", "_m2y", "_m2x", "_cxy", "_t0")

    def __init__(self):
        self.reset()

    def reset(self):
        self.n = 0
        self.min = None
        self.max = None
        self.last = None
        self._mx = 0.0  # mean sample time, s since the first sample (small: keeps float32 precise)
        self._my = 0.0  # mean value
        self._m2y = 0.0  # sum of squared deviations of the value (Welford)
        self._m2x = 0.0  # same for time
        self._cxy = 0.0  # co-moment of time and value
        self._t0 = None

    def add(self, t_s, v):
        """Adds sample v taken at t_s seconds (any origin). None or NaN is skipped (count stays)."""
        if v is None or v != v:
            return False
        if self._t0 is None:
            self._t0 = t_s
        x = t_s - self._t0
        self.n += 1
        n = self.n
        dx = x - self._mx
        dy = v - self._my
        self._mx += dx / n
        self._my += dy / n
        # Welford: the update uses the deviation before and after the mean moves
        self._m2y += dy * (v - self._my)
        self._m2x += dx * (x - self._mx)
        self._cxy += dx * (v - self._my)
        if self.min is None or v < self.min:
            self.min = v
        if self.max is None or v > self.max:
            self.max = v
        self.last = v
        return True

    def mean(self):
        return self._my if self.n else None

    def std(self):
        """Population standard deviation, None without samples."""
        if not self.n:
            return None
        var = self._m2y / self.n
        return var ** 0.5 if var > 0 else 0.0

    def slope(self):
        """Least-squares slope in units per minute; None below 2 samples (or all at one time)."""
        if self.n < 2 or self._m2x <= 0:
            return None
        return self._cxy / self._m2x * 60.0

    def summary(self):
        """dict with count/min/max/mean/std/slope/last (None statistics when count is 0)."""
        return {
            "count": self.n, "min": self.min, "max": self.max, "mean": self.mean(),
            "std": self.std(), "slope": self.slope(), "last": self.last,
        }
