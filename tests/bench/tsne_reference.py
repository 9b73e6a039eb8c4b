"""scikit-learn's TSNE on the benchmark input, for bench_tsne.cpp.

Arguments: POINTS N D [LAYOUT] (float32 N x D; LAYOUT: Corral's float32 N x 2 map of the same
points). Does what a sklearn user does: PCA to 50, then
TSNE(perplexity=30, n_iter=750, method='barnes_hut', init='pca', learning_rate='auto').
Prints: seconds (PCA + TSNE), sklearn's reported KL, the exact KL of its map under its own P,
and (with LAYOUT) the exact KL of Corral's map under the same P: like for like.
"""
import sys
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.manifold._t_sne import _joint_probabilities_nn
from sklearn.neighbors import NearestNeighbors


def exact_kl(P, Y):
    Y = Y.astype(np.float64)
    squared = (Y * Y).sum(1)
    kernel = 1.0 / (1.0 + np.maximum(squared[:, None] + squared[None, :] - 2.0 * Y @ Y.T, 0.0))
    np.fill_diagonal(kernel, 0.0)
    Z = kernel.sum()
    P = P.tocoo()
    p = P.data.astype(np.float64)
    keep = p > 0
    q = kernel[P.row[keep], P.col[keep]] / Z
    return float(np.sum(p[keep] * np.log(p[keep] / q)))


def main(path, n, d, layout_path=None):
    n, d = int(n), int(d)
    X = np.fromfile(path, dtype=np.float32).reshape(n, d)
    start = time.perf_counter()
    reduced = PCA(n_components=50, random_state=0).fit_transform(X)
    tsne = TSNE(perplexity=30, n_iter=750, method="barnes_hut", init="pca", learning_rate="auto", random_state=0)
    Y = tsne.fit_transform(reduced)
    seconds = time.perf_counter() - start
    knn = NearestNeighbors(n_neighbors=min(n - 1, 91)).fit(reduced)
    distances = knn.kneighbors_graph(mode="distance")
    distances.data **= 2
    P = _joint_probabilities_nn(distances, 30.0, 0)
    values = [seconds, tsne.kl_divergence_, exact_kl(P, Y)]
    if layout_path:
        values.append(exact_kl(P, np.fromfile(layout_path, dtype=np.float32).reshape(n, 2)))
    print(*values)


if __name__ == "__main__":
    main(*sys.argv[1:])
