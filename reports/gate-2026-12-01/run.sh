#!/bin/bash
# Fresh gate runs for docs/ci.md (issue 26): A/A pairs and pairs with polars-threadpool 10% slower in the new side,
# alternating, with one binary (/tmp/gatebin/pb, built from the render branch at its commit below).
cd /work/gate-runs
B=/tmp/gatebin/pb
for n in 1 2 3 4 5; do
  for kind in aa slow; do
    d=$kind-$n
    [ -e $d/done ] && continue
    extra=""
    [ $kind = slow ] && extra="--inject-slowdown polars-threadpool=0.10"
    start=$(date +%s)
    echo "$(date -u +%H:%M:%S) start $d" >> log.txt
    $B compare-run --base $B --new $B --workload batch-read --no-calibrate $extra --out-dir $d > $d.out 2>&1
    rc=$?
    echo "$(date -u +%H:%M:%S) end $d rc=$rc elapsed_s=$(( $(date +%s) - start ))" >> log.txt
    touch $d/done
  done
done
