WITH late AS (
    SELECT l_orderkey, l_suppkey FROM lineitem WHERE l_receiptdate > l_commitdate),
suppliers AS (
    SELECT l_orderkey, COUNT(DISTINCT l_suppkey) AS n_suppliers FROM lineitem GROUP BY l_orderkey),
late_suppliers AS (
    SELECT l_orderkey, COUNT(DISTINCT l_suppkey) AS n_late FROM late GROUP BY l_orderkey)
SELECT s.s_name, COUNT(*) AS numwait
FROM late l1
JOIN supplier s ON s.s_suppkey = l1.l_suppkey
JOIN orders o ON o.o_orderkey = l1.l_orderkey
JOIN nation n ON s.s_nationkey = n.n_nationkey
JOIN suppliers a ON a.l_orderkey = l1.l_orderkey
JOIN late_suppliers b ON b.l_orderkey = l1.l_orderkey
WHERE o.o_orderstatus = 'F'
  AND n.n_name = 'SAUDI ARABIA'
  AND a.n_suppliers > 1
  AND b.n_late = 1
GROUP BY s.s_name
ORDER BY numwait DESC, s.s_name
LIMIT 100
