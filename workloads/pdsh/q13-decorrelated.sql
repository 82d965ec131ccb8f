SELECT c_count, COUNT(*) AS custdist
FROM (
    SELECT c.c_custkey, COUNT(o.o_orderkey) AS c_count
    FROM customer c
    LEFT OUTER JOIN (
        SELECT o_orderkey, o_custkey FROM orders WHERE o_comment NOT LIKE '%special%requests%'
    ) AS o ON c.c_custkey = o.o_custkey
    GROUP BY c.c_custkey
) AS c_orders
GROUP BY c_count
ORDER BY custdist DESC, c_count DESC
