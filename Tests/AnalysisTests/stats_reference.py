#!/usr/bin/env python3
"""Reference values for Tests/AnalysisTests/StatisticsTests.swift, computed with numpy and scipy.

Run: python3 Tests/AnalysisTests/stats_reference.py  (numpy and scipy from PyPI). The test run
itself needs no Python: the values this prints are stored in the tests.
"""
import numpy as np
from scipy.stats import mannwhitneyu

SAMPLES = {
    "boot": [1204.5, 1198.25, 1250.0, 1190.75, 1301.125, 1222.0, 1199.5, 1215.875, 1260.25, 1208.0, 1195.5],
    "even": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0],
    "ties": [10.0, 10.0, 10.0, 12.0, 12.0, 15.0, 15.0, 15.0, 15.0, 20.0],
    "slower": [1290.0, 1301.5, 1288.25, 1320.0, 1275.5, 1299.0, 1310.75, 1285.0, 1330.5, 1295.25],
    "tied_b": [10.0, 12.0, 12.0, 12.0, 15.0, 20.0, 20.0, 25.0],
}

for name, x in SAMPLES.items():
    a = np.array(x)
    print(f'"{name}": n={len(a)} median={float(np.median(a))!r} p10={float(np.quantile(a, 0.1))!r} p90={float(np.quantile(a, 0.9))!r} '
          f'mean={float(np.mean(a))!r} sd={float(np.std(a, ddof=1))!r} sd_population={float(np.std(a))!r}')

for x, y in [("boot", "slower"), ("ties", "tied_b"), ("even", "ties")]:
    r = mannwhitneyu(SAMPLES[x], SAMPLES[y], alternative="two-sided", method="asymptotic")
    print(f'mannwhitney {x} {y}: U={float(r.statistic)!r} p={float(r.pvalue)!r}')

# method="auto": exact for small samples without ties (StatisticsTests.mannWhitneyAuto).
AUTO = [
    ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
    ([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]),
    ([10.5, 12.25, 9.75, 11.0, 13.5], [12.0, 14.25, 15.5, 13.0, 16.75, 11.5, 14.0]),
    ([3.0], [1.0, 2.0, 4.0, 5.0, 6.0]),
    ([1.0, 3.0, 5.0, 7.0, 9.0, 11.0], [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]),
    ([100.5 + i * 0.37 for i in range(8)], [101.0 + ((i * 7) % 29) * 0.21 + i * 0.001 for i in range(30)]),
    ([5.0, 1.0, 9.0, 3.0, 7.0, 11.0, 13.0, 2.0, 4.0], [6.0, 8.0, 10.0, 12.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0]),
]
for x, y in AUTO:
    r = mannwhitneyu(x, y, alternative="two-sided", method="auto")
    print(f'mannwhitney auto {len(x)} v {len(y)}: U={float(r.statistic)!r} p={float(r.pvalue)!r}')

# xoshiro256** seeded by SplitMix64 (porttrace's bootstrap generator): the first outputs for seed 1.
M = (1 << 64) - 1


def splitmix64_state(z):
    out = []
    for _ in range(4):
        z = (z + 0x9E3779B97F4A7C15) & M
        x = z
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
        out.append(x ^ (x >> 31))
    return out


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


s = splitmix64_state(1)
outputs = []
for _ in range(3):
    outputs.append((rotl((s[1] * 5) & M, 7) * 9) & M)
    t = (s[1] << 17) & M
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 45)
print("xoshiro256** seed 1:", outputs)


# The relative change's percentile-bootstrap interval (StatisticsTests.relativeChangeIntervalMatchesPython):
# Bootstrap.relativeChangeInterval with porttrace's generator, written again here with numpy's
# median and quantile: median(resample of b) / median(resample of a) - 1, each group resampled
# on its own (a's draws, then b's, from one generator), resamples whose a-median is 0 left out.
class Xoshiro:
    def __init__(self, seed):
        self.s = splitmix64_state(seed)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def index(self, n):
        m = self.next() * n
        if (m & M) < n:
            threshold = ((1 << 64) - n) % n
            while (m & M) < threshold:
                m = self.next() * n
        return m >> 64


def relative_change_interval(a, b, resamples, seed, stream=0, level=0.95):
    rng = Xoshiro(seed ^ stream ^ 0x5E1A71FE)
    a, b = sorted(a), sorted(b)
    changes = []
    for _ in range(resamples):
        ma = float(np.median([a[rng.index(len(a))] for _ in a]))
        mb = float(np.median([b[rng.index(len(b))] for _ in b]))
        if ma != 0:
            changes.append(mb / ma - 1)
    tail = (1 - level) / 2
    return float(np.quantile(changes, tail)), float(np.quantile(changes, 1 - tail))


for x, y in [("boot", "slower"), ("even", "tied_b")]:
    lo, hi = relative_change_interval(SAMPLES[x], SAMPLES[y], 2000, 20261130)
    print(f"relative change interval {x} {y} (2000 resamples, seed 20261130): {lo!r} {hi!r}")
