"""Reference for bench_knn: scikit-learn brute-force K nearest neighbours of an even-stride
subsample of the rows, against all rows. Prints the seconds taken, then one line of K
neighbour indices per query row."""
import sys
import time

import numpy as np
from sklearn.neighbors import NearestNeighbors


def main(path, rows, dimension, k, sample):
    points = np.fromfile(path, dtype=np.float32).reshape(rows, dimension)
    stride = rows // sample
    queries = points[0:sample * stride:stride]
    start = time.perf_counter()
    model = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(points)
    indices = model.kneighbors(queries, return_distance=False)
    seconds = time.perf_counter() - start
    print(seconds)
    for row in indices:
        print(" ".join(str(i) for i in row))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
