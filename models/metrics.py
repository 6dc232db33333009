"""Evaluation measures that need no downloaded weights (pure numpy/scipy).

- Audio: log-spectral distance and spectral convergence between two mel spectrograms.
- Realism: sliced Wasserstein distance (SWD) between 7×7 patch sets from a Laplacian
  pyramid (Karras et al. 2018, ProGAN), reported next to a real-vs-real figure.
- Strokes: ink coverage, stroke width, connected components.
- Texture: edge density and mean gradient magnitude of an ink field.
- Rank correlation (Spearman) with ties handled, and a Mantel-style correlation of two
  pairwise-distance matrices; :func:`mantel` adds a permutation p-value (objects, not pairs,
  are permuted, so the p is valid for the dependent pairs of a distance matrix).
- Picture descriptors for the synaesthesia measures: ink mass, edge density, softness and
  the ink's vertical centre of mass (:func:`ink_height`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, stats

# ----- audio ---------------------------------------------------------------------------------


def log_spectral_distance(db_a: np.ndarray, db_b: np.ndarray) -> float:
    """Mean over frames of the RMS dB difference across bands; inputs ``(..., T, bands)``
    already floored to the analysis range, so silence-vs-silence counts as equal."""
    diff = np.asarray(db_a, np.float64) - np.asarray(db_b, np.float64)
    return float(np.mean(np.sqrt(np.mean(diff**2, axis=-1))))


def spectral_convergence(db_ref: np.ndarray, db_est: np.ndarray) -> float:
    """‖|S| − |Ŝ|‖_F / ‖|S|‖_F on magnitudes recovered from dB levels."""
    ref = 10.0 ** (np.asarray(db_ref, np.float64) / 20.0)
    est = 10.0 ** (np.asarray(db_est, np.float64) / 20.0)
    return float(np.linalg.norm(ref - est) / max(np.linalg.norm(ref), 1e-12))


# ----- realism: SWD on Laplacian-pyramid patches ---------------------------------------------

#: The 5-tap binomial filter of the Laplacian pyramid (÷ 16; Burt & Adelson 1983).
PYRAMID_TAPS = (1.0, 4.0, 6.0, 4.0, 1.0)
#: Side of the square patches compared, in pixels (Karras et al. 2018).
PATCH = 7

_BINOMIAL = np.array(PYRAMID_TAPS) / 16.0


def _blur(x: np.ndarray) -> np.ndarray:
    x = ndimage.convolve1d(x, _BINOMIAL, axis=-1, mode="reflect")
    return ndimage.convolve1d(x, _BINOMIAL, axis=-2, mode="reflect")


def laplacian_pyramid(images: np.ndarray, levels: int = 3) -> list[np.ndarray]:
    """Band-pass levels (finest first) plus the coarsest low-pass of ``(N, H, W)`` images."""
    current = np.asarray(images, np.float64)
    pyramid = []
    for _ in range(levels - 1):
        low = _blur(current)[:, ::2, ::2]
        up = np.zeros_like(current)
        up[:, ::2, ::2] = low
        pyramid.append(current - 4.0 * _blur(up))
        current = low
    pyramid.append(current)
    return pyramid


def _patches(level: np.ndarray, per_image: int, rng: np.random.Generator) -> np.ndarray:
    n, h, w = level.shape
    ys = rng.integers(0, h - PATCH + 1, size=(n, per_image))
    xs = rng.integers(0, w - PATCH + 1, size=(n, per_image))
    offsets = np.arange(PATCH)
    rows = ys[..., None, None] + offsets[:, None]
    cols = xs[..., None, None] + offsets[None, :]
    idx = np.arange(n)[:, None, None, None]
    return level[idx, rows, cols].reshape(n * per_image, PATCH * PATCH)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, dirs: int) -> float:
    """SWD between two equal-sized point sets: mean |sorted projections| difference."""
    directions = rng.standard_normal((a.shape[1], dirs))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    pa = np.sort(a @ directions, axis=0)
    pb = np.sort(b @ directions, axis=0)
    return float(np.mean(np.abs(pa - pb)))


def pyramid_swd(
    images_a: np.ndarray,
    images_b: np.ndarray,
    *,
    levels: int = 3,
    patches_per_image: int = 64,
    directions: int = 256,
    seed: int = 0,
) -> list[float]:
    """SWD ×1e3 per pyramid level (finest first) between two sets of ink fields in [0, 1].

    Patches are normalised per level with the pooled mean and standard deviation of both
    sets (ProGAN normalises per channel), and both sets are cut to the same patch count.
    """
    rng = np.random.default_rng(seed)
    out = []
    for la, lb in zip(
        laplacian_pyramid(images_a, levels), laplacian_pyramid(images_b, levels), strict=True
    ):
        pa = _patches(la, patches_per_image, rng)
        pb = _patches(lb, patches_per_image, rng)
        n = min(len(pa), len(pb))
        pa, pb = pa[:n], pb[:n]
        both = np.concatenate([pa, pb])
        mean, std = both.mean(), max(both.std(), 1e-8)
        out.append(1e3 * sliced_wasserstein((pa - mean) / std, (pb - mean) / std, rng, directions))
    return out


# ----- strokes and texture -------------------------------------------------------------------


def stroke_stats(ink: np.ndarray, level: float = 0.5, min_pixels: int = 3) -> dict[str, float]:
    """Coverage, stroke width and component count of one ink field in [0, 1].

    Width is estimated as 2·area/perimeter (exact for a long band of constant width), with
    the perimeter counted as exposed pixel edges.
    """
    mask = np.asarray(ink) > level
    area = float(mask.sum())
    padded = np.pad(mask, 1)
    perimeter = float(
        np.sum(padded[1:, :] != padded[:-1, :]) + np.sum(padded[:, 1:] != padded[:, :-1])
    )
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel())[1:] if count else np.zeros(0)
    return {
        "coverage": area / mask.size,
        "stroke_width": 2.0 * area / perimeter if perimeter else 0.0,
        "components": float(np.sum(sizes >= min_pixels)),
    }


def gradient_magnitude(ink: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of an ink field in [0, 1] (per pixel)."""
    field = np.asarray(ink, np.float64)
    gx = ndimage.sobel(field, axis=-1, mode="constant") / 8.0
    gy = ndimage.sobel(field, axis=-2, mode="constant") / 8.0
    return np.hypot(gx, gy)


def edge_density(ink: np.ndarray, threshold: float = 0.1) -> float:
    """Share of pixels on an edge (gradient above ``threshold``): internal texture."""
    return float(np.mean(gradient_magnitude(ink) > threshold))


def ink_height(ink: np.ndarray) -> float:
    """Vertical centre of mass of an ink field in [0, 1], ``(H, W)``: 1 = all ink on the top
    row, 0 = all on the bottom row, 0.5 for a blank field."""
    field = np.asarray(ink, np.float64)
    total = field.sum()
    if total <= 0:
        return 0.5
    rows = np.arange(field.shape[0], dtype=np.float64)
    centre = float((field.sum(axis=1) * rows).sum() / total)
    return 1.0 - centre / max(field.shape[0] - 1, 1)


def sharpness(ink: np.ndarray, level: float = 0.1) -> float:
    """Mean gradient magnitude over the inked region (ink > ``level``): high for hard edges,
    low for soft, blurry ink. Zero for a blank field."""
    grad = gradient_magnitude(ink)
    region = ndimage.binary_dilation(np.asarray(ink) > level)
    return float(grad[region].mean()) if region.any() else 0.0


# ----- correlations --------------------------------------------------------------------------


def spearman(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Spearman rank correlation with its p-value; NaN when either input is constant."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"rho": float("nan"), "p": float("nan"), "n": float(len(x))}
    result = stats.spearmanr(x, y)
    return {"rho": float(result.statistic), "p": float(result.pvalue), "n": float(len(x))}


def pairwise_distances(samples: np.ndarray) -> np.ndarray:
    """Euclidean distances between flattened samples, ``(N, N)``."""
    flat = np.asarray(samples, np.float64).reshape(len(samples), -1)
    sq = np.sum(flat**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * flat @ flat.T, 0.0)
    return np.sqrt(d2)


def distance_correlation(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Spearman correlation between the upper triangles of two distance matrices: do
    similar sounds give similar pictures?"""
    iu = np.triu_indices(len(a), k=1)
    return spearman(a[iu], b[iu])


def mantel(
    a: np.ndarray, b: np.ndarray, *, permutations: int = 999, seed: int = 0
) -> dict[str, float]:
    """Mantel test: Spearman ρ between the upper triangles of two ``(N, N)`` distance
    matrices, with a one-sided permutation p-value (ρ greater than chance).

    The null distribution permutes the *objects* of ``b`` (rows and columns together),
    because the N(N−1)/2 pairs are not independent (Mantel 1967); ``scipy.stats.
    permutation_test`` returns p = (1 + #{null ≥ observed}) / (1 + permutations), so the
    smallest p reachable is 1/(permutations + 1).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    n = len(a)
    if a.shape != (n, n) or b.shape != (n, n):
        raise ValueError(f"need two square matrices of one size, got {a.shape} and {b.shape}")
    iu = np.triu_indices(n, k=1)
    if n < 4 or np.ptp(a[iu]) == 0 or np.ptp(b[iu]) == 0:
        return {"rho": float("nan"), "p": float("nan"), "n": float(n), "permutations": 0.0}
    # Spearman = Pearson of ranks; the ranks of a permuted matrix's triangle are a
    # permutation of the original ranks, so rank once and correlate per permutation.
    rank_a = stats.rankdata(a[iu])
    rank_a = (rank_a - rank_a.mean()) / np.linalg.norm(rank_a - rank_a.mean())
    ranked_b = np.zeros((n, n))
    ranked_b[iu] = stats.rankdata(b[iu])
    ranked_b = ranked_b + ranked_b.T

    def statistic(order: np.ndarray) -> float:
        tri = ranked_b[np.ix_(order, order)][iu]
        tri = tri - tri.mean()
        return float(rank_a @ tri / np.linalg.norm(tri))

    result = stats.permutation_test(
        (np.arange(n),),
        statistic,
        permutation_type="pairings",
        n_resamples=permutations,
        vectorized=False,
        alternative="greater",
        random_state=seed,
    )
    return {
        "rho": float(result.statistic),
        "p": float(result.pvalue),
        "n": float(n),
        "permutations": float(permutations),
    }
