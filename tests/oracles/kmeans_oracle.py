"""Reference k-means inertia from scikit-learn.

Arguments: features.f32 rows cols clusters restarts seed. Prints the inertia of
sklearn.cluster.KMeans (k-means++, Lloyd) on the float32 row-major matrix.
"""
import sys

import numpy as np
from sklearn.cluster import KMeans

path, rows, cols, clusters, restarts, seed = sys.argv[1:7]
points = np.fromfile(path, dtype=np.float32).reshape(int(rows), int(cols)).astype(np.float64)
model = KMeans(n_clusters=int(clusters), n_init=int(restarts), random_state=int(seed), algorithm="lloyd")
model.fit(points)
print(f"{model.inertia_:.17g}")
