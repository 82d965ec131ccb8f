#!/bin/bash
# Instruction-count pairs (issue 25): default batch-read, local reads, polaroid and polars-lazy, 2 processes a side.
cd /tmp/instr
B=/tmp/pb25b
for pair in "aa-1 $B" "slow2-1 /tmp/pb25-slow2" "aa-2 $B" "slow2-2 /tmp/pb25-slow2"; do
  set -- $pair
  [ -e $1/done ] && continue
  echo "$(date -u +%H:%M:%S) start $1 (new: $2)" >> log.txt
  $B compare-run --base $B --new $2 --workload batch-read --latency-ms 0 --engine polaroid --engine polars-lazy \
      --processes 2 --instructions --no-calibrate --out-dir $1 > $1.log 2>&1
  echo "$(date -u +%H:%M:%S) end $1 rc=$?" >> log.txt
  touch $1/done
done
