WITH german AS (
    SELECT ps.ps_partkey, ps.ps_supplycost * ps.ps_availqty AS value
    FROM partsupp ps
    JOIN supplier s ON ps.ps_suppkey = s.s_suppkey
    JOIN nation n ON s.s_nationkey = n.n_nationkey
    WHERE n.n_name = 'GERMANY'),
by_part AS (
    SELECT ps_partkey, SUM(value) AS value FROM german GROUP BY ps_partkey),
threshold AS (
    SELECT SUM(value) * 0.0001 AS min_value FROM german)
SELECT b.ps_partkey, b.value
FROM by_part b
CROSS JOIN threshold t
WHERE b.value > t.min_value
ORDER BY b.value DESC, b.ps_partkey
