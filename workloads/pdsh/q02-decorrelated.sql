WITH europe AS (
    SELECT ps.ps_partkey, ps.ps_supplycost, s.s_acctbal, s.s_name, n.n_name, s.s_address, s.s_phone, s.s_comment
    FROM partsupp ps
    JOIN supplier s ON s.s_suppkey = ps.ps_suppkey
    JOIN nation n ON s.s_nationkey = n.n_nationkey
    JOIN region r ON n.n_regionkey = r.r_regionkey
    WHERE r.r_name = 'EUROPE'),
cheapest AS (
    SELECT ps_partkey, MIN(ps_supplycost) AS min_supplycost FROM europe GROUP BY ps_partkey)
SELECT e.s_acctbal, e.s_name, e.n_name, p.p_partkey, p.p_mfgr, e.s_address, e.s_phone, e.s_comment
FROM part p
JOIN europe e ON p.p_partkey = e.ps_partkey
JOIN cheapest c ON c.ps_partkey = e.ps_partkey AND e.ps_supplycost = c.min_supplycost
WHERE p.p_size = 15
  AND p.p_type LIKE '%BRASS'
ORDER BY e.s_acctbal DESC, e.n_name, e.s_name, p.p_partkey
LIMIT 100
