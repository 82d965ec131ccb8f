#!/bin/bash
# The remaining instruction-count pairs (issue 25), same command as run.sh: three more A/A pairs and four more with
# the read path slowed by two passes (slow-patch.diff, SLOW_PASSES = 2). B is the base binary (main), S the patched
# build of the same commit. Run from this directory; two pairs at a time (the counts do not depend on the load).
B=${B:-/tmp/pbB}
S=${S:-/tmp/pbS2}
one() {
  [ -e $1/done ] && return
  echo "$(date -u +%H:%M:%S) start $1 (new: $2)" >> log.txt
  $B compare-run --base $B --new $2 --workload batch-read --latency-ms 0 --engine polaroid --engine polars-lazy \
      --processes 2 --budget 0 --instructions --no-calibrate --out-dir $1 > $1.log 2>&1
  echo "$(date -u +%H:%M:%S) end $1 rc=$?" >> log.txt
  tail -n 30 $1.log > $1/gate.txt; rm -f $1.log
  touch $1/done
}
( one aa-3 $B; one slow2-3 $S; one aa-5 $B; one slow2-5 $S ) &
( one slow2-2 $S; one aa-4 $B; one slow2-4 $S ) &
wait
