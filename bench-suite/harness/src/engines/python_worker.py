"""polaroid-bench's measurement process for the Python engines (py-polars, py-polars-in-memory, duckdb, datafusion).

The runner starts it as `python -c <this file>` (the source is compiled into polaroid-bench, so worker and harness
never disagree) with the same job as a Rust measurement process on stdin: JSON {"job": "measure", ...ChildSpec}.
It prints one line, `POLAROID-REPORT <ChildReport JSON>` or `POLAROID-FAILURE {"unsupported": false, "message":
...}`, and exits 0; anything else (a crash, the OOM killer) the runner records from the exit status.

What is timed (docs/methodology.md): the query planned and run, its result fully materialized (a Polars DataFrame,
or an Arrow table for DuckDB and DataFusion). Not timed: interpreter start, imports, registering the tables (lazy scans, views),
the first warm-up run, writing that run's answer to a Parquet file (the runner digests it after this process ends).

A workload file's concurrent mix (`[concurrency]`, extra "mix") runs closed loops of clients instead, each engine
with its own way of serving queries at once: Python Polars' `collect_async` and DataFusion's async record-batch
streams as asyncio tasks on one event loop, DuckDB a cursor per client thread.
"""

import json
import math
import os
import resource
import sys
import time

REPORT = "POLAROID-REPORT "
FAILURE = "POLAROID-FAILURE "
PACKAGES = {"py-polars": "polars", "py-polars-in-memory": "polars", "duckdb": "duckdb", "datafusion": "datafusion"}


def peak_rss_bytes():
    """The kernel's high-water mark of this process's resident memory (VmHWM), as the Rust worker reports it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def polars_engine(tables, execution, s3):
    """Python Polars as a notebook user writes it: lazy scans in a SQLContext, the plan collected. Through the S3
    server, the scan of each table's prefix with Polars' own cloud reader."""
    import polars as pl

    if s3:
        options = {"aws_endpoint_url": s3["endpoint"], "aws_allow_http": "true", "aws_region": s3["region"],
                   "aws_access_key_id": s3["access_key_id"], "aws_secret_access_key": s3["secret_access_key"]}
        sources = {t["name"]: pl.scan_parquet(f's3://{s3["bucket"]}/{t["name"]}/*.parquet', storage_options=options)
                   for t in tables}
    else:
        sources = {t["name"]: pl.scan_parquet([str(f) for f in t["files"]]) for t in tables}
    ctx = pl.SQLContext(sources)

    def run(sql):
        lf = ctx.execute(sql, eager=False)
        # engine="auto" is what collect() does unless told otherwise: the streaming engine since Polars 2.0.
        return lf.collect(engine=execution)

    def save(df, path):
        df.write_parquet(path)

    async def run_async(sql):
        # Polars' own async collect: the query runs on Polars' threads while the event loop serves other clients.
        return await ctx.execute(sql, eager=False).collect_async(engine=execution)

    return run, save, Clients(run_async=run_async)


def duckdb_engine(tables, s3):
    """DuckDB in process, one connection: each table a view over read_parquet of its files."""
    if s3:
        # DuckDB reads S3 through its httpfs extension, which the duckdb wheel does not bundle; installing it
        # downloads from DuckDB's own site, outside the package registries this project installs from.
        raise Unsupported("duckdb does not support tables served over S3 here (its httpfs extension is not bundled "
                          "with the duckdb package and INSTALL httpfs downloads from outside the package registries)")
    import duckdb
    import pyarrow.parquet as pq

    con = duckdb.connect()
    for t in tables:
        files = ", ".join("'" + str(f).replace("'", "''") + "'" for f in t["files"])
        con.execute(f'CREATE VIEW "{t["name"]}" AS SELECT * FROM read_parquet([{files}])')

    def run(sql):
        return con.execute(sql).to_arrow_table()

    def save(table, path):
        pq.write_table(table, path)

    def client():
        # DuckDB's way to serve queries at once from one database: a cursor (its own connection) per thread.
        cursor = con.cursor()
        return lambda sql: cursor.execute(sql).to_arrow_table()

    return run, save, Clients(client=client)


def datafusion_engine(tables, s3):
    """Apache DataFusion in process, one SessionContext with its defaults (a partition per core): each table
    registered as DataFusion's own Parquet listing table, from its file, or from its directory when the table is
    exactly that directory's Parquet files; other sets of files are one table each under a UNION ALL view. Through
    the S3 server, the bucket registered as an object store and each table the listing table of its prefix."""
    import datafusion
    import pyarrow.parquet as pq

    ctx = datafusion.SessionContext()
    if s3:
        from datafusion.object_store import AmazonS3

        store = AmazonS3(bucket_name=s3["bucket"], region=s3["region"], access_key_id=s3["access_key_id"],
                         secret_access_key=s3["secret_access_key"], endpoint=s3["endpoint"], allow_http=True)
        ctx.register_object_store("s3://", store, s3["bucket"])
    for t in tables:
        if s3:
            ctx.register_parquet(t["name"], f's3://{s3["bucket"]}/{t["name"]}/')
            continue
        files = [os.path.abspath(str(f)) for f in t["files"]]
        parent = os.path.dirname(files[0])
        if len(files) == 1:
            ctx.register_parquet(t["name"], files[0])
        elif sorted(files) == sorted(os.path.join(parent, f) for f in os.listdir(parent) if f.endswith(".parquet")):
            ctx.register_parquet(t["name"], parent)
        else:
            parts = []
            for i, f in enumerate(files):
                part = f'{t["name"]}__polaroid_part{i}'
                ctx.register_parquet(part, f)
                parts.append(f'SELECT * FROM "{part}"')
            ctx.sql(f'CREATE VIEW "{t["name"]}" AS ' + " UNION ALL ".join(parts))

    def run(sql):
        return ctx.sql(sql).to_arrow_table()

    def save(table, path):
        pq.write_table(table, path)

    async def run_async(sql):
        # DataFusion's async execution: the plan's record-batch stream awaited batch by batch, every batch kept.
        return [batch async for batch in ctx.sql(sql).execute_stream()]

    return run, save, Clients(run_async=run_async)


class Clients:
    """How an engine serves many clients in one process: an async run function (clients are asyncio tasks on one
    event loop) or a factory of per-thread run functions (clients are threads)."""

    def __init__(self, run_async=None, client=None):
        self.run_async = run_async
        self.client = client


def percentiles(latencies_s, errors):
    """The Latency record the Rust drivers make from their HDR histograms (exact here: every latency is kept)."""
    ns = sorted(int(x * 1e9) for x in latencies_s)

    def at(q):
        if not ns:
            return 0
        return ns[min(len(ns) - 1, max(0, math.ceil(q * len(ns)) - 1))]

    return {"count": len(ns), "errors": errors, "p50_ns": at(0.5), "p95_ns": at(0.95), "p99_ns": at(0.99),
            "p999_ns": at(0.999), "max_ns": ns[-1] if ns else 0}


def closed_loop(clients_of, queries, clients, duration_s, seed, threads):
    """`clients` clients issue queries drawn at random (seeded per client) back to back until the deadline; requests
    in flight then finish and count. Returns (completed, errors, elapsed seconds, latencies in seconds)."""
    import random

    latencies = []
    start = time.perf_counter()
    deadline = start + duration_s

    def pick(rng):
        return queries[rng.randrange(len(queries))]

    if clients_of.run_async is not None:
        import asyncio

        async def client(i):
            rng, done, errors = random.Random(seed * 1_000_003 ^ i), 0, 0
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                try:
                    out = await clients_of.run_async(pick(rng))
                    latencies.append(time.perf_counter() - t)
                    done += 1
                    del out
                except Exception:
                    errors += 1
            return done, errors

        async def everyone():
            return await asyncio.gather(*(client(i) for i in range(clients)))

        results = asyncio.run(everyone())
    else:
        import threading

        results = [None] * clients

        def client(i):
            rng, done, errors, run = random.Random(seed * 1_000_003 ^ i), 0, 0, threads[i]
            mine = []
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                try:
                    out = run(pick(rng))
                    mine.append(time.perf_counter() - t)
                    done += 1
                    del out
                except Exception:
                    errors += 1
            latencies.extend(mine)
            results[i] = (done, errors)

        workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    elapsed = time.perf_counter() - start
    return sum(d for d, _ in results), sum(e for _, e in results), elapsed, latencies


def measure_mix(spec, run, save, clients_of):
    """The concurrent mix, as the Rust driver (workloads/sql.rs, drive_mix): each query once, untimed, its answer
    left as a Parquet file; then warm-up loops (half the duration) and timed loops; a sample is one loop's queries
    per second."""
    mix = spec["extra"]["mix"]
    settings = spec["settings"]
    clients = int(spec["params"].get("clients") or 1)
    files = []
    for i, query in enumerate(mix):
        try:
            out = run(query["sql"])
        except Exception as e:
            raise QueryFailed(f"query '{query['name']}' of the concurrent mix: {type(e).__name__}: {e}") from e
        path = os.path.join(spec["scratch_dir"], f"answer-{i}.parquet")
        save(out, path)
        files.append(path)
        del out
    queries = [q["sql"] for q in mix]
    # Per-thread clients (DuckDB's cursors) are made once, before any loop, outside the clock.
    threads = [clients_of.client() for _ in range(clients)] if clients_of.run_async is None else None
    duration = max(0.01, float(settings["run_duration_s"]))
    seed = int(spec.get("seed") or 0)
    for w in range(settings["warmup"]):
        closed_loop(clients_of, queries, clients, duration / 2, seed ^ (1 << 32) ^ w, threads)
    samples, latencies, errors = [], [], 0
    for r in range(settings["runs"]):
        done, failed, elapsed, lat = closed_loop(clients_of, queries, clients, duration, seed ^ r, threads)
        samples.append(done / elapsed)
        latencies.extend(lat)
        errors += failed
    return {
        "metric_name": "throughput",
        "unit": "queries/s",
        "higher_is_better": True,
        "warmup_runs": settings["warmup"],
        "samples": samples,
        "latency": percentiles(latencies, errors),
        "work": None,
        "answer": None,
        "peak_rss_bytes": peak_rss_bytes(),
        "answer_file": None,
        "answer_files": files,
        "engine_figures": {},
    }


# As the Rust engines' (workloads/sql.rs, `fixed_cost`): the median of 5 runs of a query that does no work, under
# polaroid-results' FIXED_COST_FIGURE.
FIXED_COST_FIGURE = "empty_query_s"
EMPTY_QUERY = "SELECT 1 AS one"


def fixed_cost(run):
    """The engine's fixed cost per query, after the timed runs; None when it refuses the empty query."""
    times = []
    try:
        for _ in range(5):
            start = time.perf_counter()
            out = run(EMPTY_QUERY)
            times.append(time.perf_counter() - start)
            del out
    except Exception:
        return None
    return sorted(times)[len(times) // 2]


def measure(spec):
    if spec.get("rlimit_bytes"):
        limit = int(spec["rlimit_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    engine = spec["engine"]
    extra = spec["extra"]
    if extra.get("kind") != "sql":
        raise Unsupported(f"{engine} runs workload files' SQL queries only, not task '{spec['task']}'")
    tables, sql = extra["tables"], extra["sql"]
    # [s3] at a latency above 0: the tables are read from the measurement's S3 server, each the prefix "<table>/".
    s3 = extra.get("s3")
    if engine == "py-polars":
        run, save, clients_of = polars_engine(tables, "auto", s3)
    elif engine == "py-polars-in-memory":
        run, save, clients_of = polars_engine(tables, "in-memory", s3)
    elif engine == "duckdb":
        run, save, clients_of = duckdb_engine(tables, s3)
    elif engine == "datafusion":
        run, save, clients_of = datafusion_engine(tables, s3)
    else:
        raise Unsupported(f"the Python worker has no engine '{engine}'")
    if extra.get("mix"):
        return measure_mix(spec, run, save, clients_of)
    settings = spec["settings"]
    answer_file = os.path.join(spec["scratch_dir"], "answer.parquet")
    for i in range(max(1, settings["warmup"])):
        out = run(sql)
        if i == 0:
            save(out, answer_file)
        del out
    samples = []
    for _ in range(settings["runs"]):
        start = time.perf_counter()
        out = run(sql)
        samples.append(time.perf_counter() - start)
        del out
    figures = {}
    cost = fixed_cost(run)
    if cost is not None:
        figures[FIXED_COST_FIGURE] = cost
    return {
        "metric_name": "time",
        "unit": "s",
        "higher_is_better": False,
        "warmup_runs": max(1, settings["warmup"]),
        "samples": samples,
        "latency": None,
        "work": None,
        "answer": None,
        "peak_rss_bytes": peak_rss_bytes(),
        "answer_file": answer_file,
        "engine_figures": figures,
    }


class Unsupported(Exception):
    pass


class QueryFailed(Exception):
    pass


def main():
    job = json.load(sys.stdin)
    try:
        if job.get("job") != "measure":
            raise Unsupported(f"the Python worker does measurements only, not '{job.get('job')}'")
        print(REPORT + json.dumps(measure(job)), flush=True)
    except Unsupported as e:
        print(FAILURE + json.dumps({"unsupported": True, "message": str(e)}), flush=True)
    except ImportError as e:
        package = PACKAGES.get(job.get("engine"), e.name)
        message = f"{job.get('engine')} needs the Python package {package} in {sys.executable} ({e}); run scripts/python-env"
        print(FAILURE + json.dumps({"unsupported": False, "message": message}), flush=True)
    except QueryFailed as e:
        print(FAILURE + json.dumps({"unsupported": False, "message": str(e)}), flush=True)
    except Exception as e:  # the engine's own error, named as it says it
        print(FAILURE + json.dumps({"unsupported": False, "message": f"{type(e).__name__}: {e}"}), flush=True)


main()
