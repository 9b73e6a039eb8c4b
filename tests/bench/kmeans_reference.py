"""scikit-learn's KMeans on the benchmark's data, timed in the same run.

Arguments: features.f32 rows cols clusters restarts [seed]. Prints: seconds inertia threads iterations (of the best restart).
"""
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_info

path, rows, cols, clusters, restarts = sys.argv[1:6]
seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
points = np.fromfile(path, dtype=np.float32).reshape(int(rows), int(cols))
start = time.perf_counter()
model = KMeans(n_clusters=int(clusters), n_init=int(restarts), random_state=seed, algorithm="lloyd").fit(points)
elapsed = time.perf_counter() - start
threads = max((pool.get("num_threads", 1) for pool in threadpool_info()), default=1)
print(f"{elapsed:.3f} {model.inertia_:.6g} {threads} {model.n_iter_}")
