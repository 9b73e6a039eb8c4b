"""Reference t-SNE from scikit-learn (1.2) for tests/core/tsne_test.cpp.

Arguments: POINTS LAYOUT N D PERPLEXITY ITERATIONS
  POINTS  float32 N x D (the input), LAYOUT float32 N x 2 (Corral's map of it).
Runs sklearn's TSNE (barnes_hut, angle 0.5, init='pca', learning_rate='auto', random_state 0)
on the same input and prints, one per line:
  sklearn_kl_reported   kl_divergence_ as sklearn reports it (Barnes-Hut estimate)
  sklearn_kl_exact      KL(P || Q) of sklearn's map, Q summed over all pairs, float64
  corral_kl_exact       KL(P || Q) of Corral's map under sklearn's P, the same way
  sklearn_trust         trustworthiness (k = 10) of sklearn's map
  corral_trust          trustworthiness (k = 10) of Corral's map
P is sklearn's own: its kNN graph with min(N - 1, 3 * perplexity + 1) neighbours, calibrated
and symmetrised by sklearn.manifold._t_sne._joint_probabilities_nn, as TSNE.fit builds it.
"""
import sys

import numpy as np
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities_nn
from sklearn.neighbors import NearestNeighbors


def exact_kl(P, Y):
    Y = Y.astype(np.float64)
    squared = ((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    kernel = 1.0 / (1.0 + squared)
    np.fill_diagonal(kernel, 0.0)
    Z = kernel.sum()
    P = P.tocoo()
    p = P.data.astype(np.float64)
    q = kernel[P.row, P.col] / Z
    keep = p > 0
    return float(np.sum(p[keep] * np.log(p[keep] / q[keep])))


def main(points_path, layout_path, n, d, perplexity, iterations):
    n, d, perplexity, iterations = int(n), int(d), float(perplexity), int(iterations)
    X = np.fromfile(points_path, dtype=np.float32).reshape(n, d)
    ours = np.fromfile(layout_path, dtype=np.float32).reshape(n, 2)

    neighbours = min(n - 1, int(3.0 * perplexity + 1))
    knn = NearestNeighbors(n_neighbors=neighbours, metric="euclidean").fit(X)
    distances = knn.kneighbors_graph(mode="distance")
    distances.data **= 2
    P = _joint_probabilities_nn(distances, perplexity, 0)

    tsne = TSNE(n_components=2, perplexity=perplexity, n_iter=iterations, method="barnes_hut", angle=0.5,
                init="pca", learning_rate="auto", random_state=0)
    theirs = tsne.fit_transform(X)
    values = (
        tsne.kl_divergence_,
        exact_kl(P, theirs),
        exact_kl(P, ours),
        trustworthiness(X, theirs, n_neighbors=10),
        trustworthiness(X, ours, n_neighbors=10),
    )
    print("\n".join(f"{v:.10g}" for v in values))


if __name__ == "__main__":
    main(*sys.argv[1:])
