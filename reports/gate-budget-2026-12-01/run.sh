#!/bin/bash
# Wall-time gate with --budget (issue 25): five pairs whose new side carries a 10% slowdown of polars-threadpool,
# local batch-read reads, the default sequential design (3 processes a side, pairs added to undecided measurements,
# --budget 15m). Run from this directory; B is one release binary of the commit named in the result files.
B=${B:-/tmp/pbB}
for n in 1 2 3 4 5; do
  d=slow-$n
  [ -e $d/done ] && continue
  echo "$(date -u +%H:%M:%S) start $d" >> log.txt
  $B compare-run --base $B --new $B --workload batch-read --latency-ms 0 --engine polars-threadpool \
      --inject-slowdown polars-threadpool=0.10 --budget 15m --no-calibrate --out-dir $d > $d.log 2>&1
  rc=$?
  echo "$(date -u +%H:%M:%S) end $d rc=$rc" >> log.txt
  tail -n 30 $d.log > $d/gate.txt; rm -f $d.log
  touch $d/done
done
