"""Reference for bench_approximate_knn: all-pairs K nearest neighbours (the point itself
included) from hnswlib's Python binding and from faiss's IndexHNSWFlat, with the settings of
core's index, on the benchmark's float32 rows. Prints one line per library, "NAME BUILD_S
SEARCH_S", writes its N x K int64 neighbour indices to PREFIX.NAME.i64, and ends with
"peak_rss_mib MIB" (this process's peak resident memory). A library that is not installed is
left out, with a note on stderr."""
import resource
import sys
import time

import numpy as np


def run_hnswlib(points, k, threads, links, construction, search):
    import hnswlib
    index = hnswlib.Index(space="l2", dim=points.shape[1])
    index.init_index(max_elements=points.shape[0], M=links, ef_construction=construction, random_seed=100)
    index.set_num_threads(threads)
    start = time.perf_counter()
    index.add_items(points, np.arange(points.shape[0]))
    build = time.perf_counter() - start
    index.set_ef(search)
    start = time.perf_counter()
    labels, _ = index.knn_query(points, k=k)
    return build, time.perf_counter() - start, labels.astype(np.int64)


def run_faiss(points, k, threads, links, construction, search):
    import faiss
    faiss.omp_set_num_threads(threads)
    index = faiss.IndexHNSWFlat(points.shape[1], links)
    index.hnsw.efConstruction = construction
    start = time.perf_counter()
    index.add(points)
    build = time.perf_counter() - start
    index.hnsw.efSearch = search
    start = time.perf_counter()
    _, labels = index.search(points, k)
    return build, time.perf_counter() - start, labels.astype(np.int64)


def main(path, rows, dimension, k, threads, links, construction, search, prefix):
    points = np.fromfile(path, dtype=np.float32).reshape(rows, dimension)
    for name, run in (("hnswlib", run_hnswlib), ("faiss", run_faiss)):
        try:
            build, query, labels = run(points, k, threads, links, construction, search)
        except ImportError as error:
            print(f"{name}: {error}", file=sys.stderr)
            continue
        labels.tofile(f"{prefix}.{name}.i64")
        print(name, build, query, flush=True)
    print("peak_rss_mib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:9]), sys.argv[9])
