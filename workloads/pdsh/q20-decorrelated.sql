WITH shipped AS (
    SELECT l_partkey, l_suppkey, 0.5 * SUM(l_quantity) AS half_quantity
    FROM lineitem
    WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
    GROUP BY l_partkey, l_suppkey),
excess AS (
    SELECT ps.ps_suppkey
    FROM partsupp ps
    JOIN shipped sh ON sh.l_partkey = ps.ps_partkey AND sh.l_suppkey = ps.ps_suppkey
    WHERE ps.ps_partkey IN (SELECT p_partkey FROM part WHERE p_name LIKE 'forest%')
      AND ps.ps_availqty > sh.half_quantity)
SELECT s.s_name, s.s_address
FROM supplier s
JOIN nation n ON s.s_nationkey = n.n_nationkey
WHERE n.n_name = 'CANADA'
  AND s.s_suppkey IN (SELECT ps_suppkey FROM excess)
ORDER BY s.s_name
